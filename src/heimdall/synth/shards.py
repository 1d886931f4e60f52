"""Shards: a batch as Apache Arrow IPC stream bytes (IQ, when present, as NPZ bytes).

Measurement columns are fixed-size lists over the receivers; the shared part of every
measurement set (receivers, frequency, propagation, search area) lives once in the schema metadata
under ``heimdall``. Same batch -> same bytes.

Reading stored shards goes through one reader: ``read_verified_shard(data, ref)`` (or a
``ShardReader`` that fetches each ``ShardRef``'s bytes) checks the sha256 the dataset recorded, the
schema and that the shard holds exactly the samples its entry names, and raises one error,
``CorruptShard``, for any of these.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from heimdall.errors import CorruptShard, InvalidInput
from heimdall.synth.batch import MATRIX_COLUMNS, SCALAR_COLUMNS, SampleBatch

META_KEY = b"heimdall"
IQ_KEYS = ("iq", "start_time_s", "sample_rate_hz")


def write_shard(batch: SampleBatch) -> bytes:
    """Encode a batch as Arrow IPC (stream format). IQ is not included: see ``write_iq_shard``."""
    n_rx = len(batch.meta["receivers"])
    arrays = [pa.array(getattr(batch, name)) for name in SCALAR_COLUMNS]
    for name in MATRIX_COLUMNS:
        flat = pa.array(np.ascontiguousarray(getattr(batch, name), dtype=np.float64).reshape(-1))
        arrays.append(pa.FixedSizeListArray.from_arrays(flat, n_rx))
    schema = pa.schema(
        [pa.field(name, array.type) for name, array in zip((*SCALAR_COLUMNS, *MATRIX_COLUMNS), arrays, strict=False)],
        metadata={META_KEY: json.dumps(batch.meta, sort_keys=True).encode()},
    )
    table = pa.Table.from_arrays(arrays, schema=schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def read_shard(data: bytes) -> SampleBatch:
    """Decode shard bytes; ``CorruptShard`` if they are not a complete shard of this schema."""
    try:
        table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
        meta = json.loads(table.schema.metadata[META_KEY])
        n_rx = len(meta["receivers"])
    except (pa.ArrowException, KeyError, TypeError, ValueError) as exc:
        raise CorruptShard("not a Heimdall dataset shard (unreadable or truncated)", field="shard") from exc
    missing = [name for name in (*SCALAR_COLUMNS, *MATRIX_COLUMNS) if name not in table.schema.names]
    if missing:
        raise CorruptShard(f"the shard lacks the column(s) {', '.join(missing)}", field="shard")
    values: dict[str, Any] = {"meta": meta}
    try:
        for name in SCALAR_COLUMNS:
            values[name] = table.column(name).to_numpy()
        for name in MATRIX_COLUMNS:
            chunk: Any = table.column(name).combine_chunks()  # a ListArray: its values, row after row
            flat = chunk.flatten().to_numpy(zero_copy_only=False)
            values[name] = np.asarray(flat, dtype=np.float64).reshape(-1, n_rx)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise CorruptShard(f"the shard's columns do not fit its {n_rx} receivers: {exc}", field="shard") from exc
    if any(len(values[name]) != table.num_rows for name in MATRIX_COLUMNS):
        raise CorruptShard(f"the shard's columns do not fit its {n_rx} receivers", field="shard")
    return SampleBatch(**values)


@dataclass(frozen=True)
class ShardRef:
    """One stored shard: where its bytes are (``key``), what they hash to, which samples it holds.

    ``source`` names the dataset; a sample's identity is (source, sample index).
    """

    source: str
    key: str
    sha256: str
    start_index: int
    count: int


def read_verified_shard(data: bytes, ref: ShardRef) -> SampleBatch:
    """The batch of shard bytes, after checking them against ``ref``: ``CorruptShard`` if the sha256,
    the schema or the samples held (count and ids) differ from what the dataset recorded."""
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise CorruptShard(f"shard {ref.key} does not match its sha256 (corrupt)",
                           field="shard", details={"key": ref.key})
    batch = read_shard(data)
    expected = np.arange(ref.start_index, ref.start_index + ref.count)
    if len(batch) != ref.count or not np.array_equal(batch.sample_id, expected):
        raise CorruptShard(f"shard {ref.key} holds {len(batch)} samples, not samples "
                           f"{ref.start_index}..{ref.start_index + ref.count - 1}", field="shard",
                           details={"key": ref.key})
    return batch


class ShardReader:
    """Reads ``ShardRef``s through ``fetch(key) -> bytes`` (a blob store's ``get_bytes``, a file read),
    each one checked by ``read_verified_shard``; nothing is kept between reads."""

    def __init__(self, fetch: Callable[[str], bytes]) -> None:
        self._fetch = fetch

    def read(self, ref: ShardRef) -> SampleBatch:
        return read_verified_shard(self._fetch(ref.key), ref)


def write_iq_shard(batch: SampleBatch) -> bytes:
    """The IQ of an IQ-level batch as NPZ: ``iq`` (n, R, N) complex64, ``start_time_s`` (n, R),
    ``sample_rate_hz`` (scalar) and ``sample_id`` (n,)."""
    if batch.iq is None:
        raise InvalidInput("this batch has no IQ (enable iq in the dataset config)", field="iq")
    buffer = io.BytesIO()
    arrays: dict[str, Any] = {"sample_id": batch.sample_id, **{k: batch.iq[k] for k in IQ_KEYS}}
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def read_iq_shard(data: bytes) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {k: npz[k] for k in ("sample_id", *IQ_KEYS)}
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput("not a Heimdall IQ shard", field="shard") from exc
