"""Shards: a batch as Apache Arrow IPC stream bytes (IQ, when present, as NPZ bytes).

Measurement columns are fixed-size lists over the receivers; the shared part of every
measurement set (receivers, frequency, propagation, search area) lives once in the schema metadata
under ``heimdall``. Same batch -> same bytes.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pyarrow as pa

from heimdall.errors import InvalidInput
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
        [pa.field(name, array.type) for name, array in zip((*SCALAR_COLUMNS, *MATRIX_COLUMNS), arrays)],
        metadata={META_KEY: json.dumps(batch.meta, sort_keys=True).encode()},
    )
    table = pa.Table.from_arrays(arrays, schema=schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def read_shard(data: bytes) -> SampleBatch:
    try:
        table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
        meta = json.loads(table.schema.metadata[META_KEY])
    except (pa.ArrowInvalid, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("not a Heimdall dataset shard", field="shard") from exc
    n_rx = len(meta["receivers"])
    values: dict = {"meta": meta}
    for name in SCALAR_COLUMNS:
        values[name] = table.column(name).to_numpy()
    for name in MATRIX_COLUMNS:
        flat = table.column(name).combine_chunks().flatten().to_numpy(zero_copy_only=False)
        values[name] = flat.reshape(-1, n_rx)
    return SampleBatch(**values)


def write_iq_shard(batch: SampleBatch) -> bytes:
    """The IQ of an IQ-level batch as NPZ: ``iq`` (n, R, N) complex64, ``start_time_s`` (n, R),
    ``sample_rate_hz`` (scalar) and ``sample_id`` (n,)."""
    if batch.iq is None:
        raise InvalidInput("this batch has no IQ (enable iq in the dataset config)", field="iq")
    buffer = io.BytesIO()
    np.savez(buffer, sample_id=batch.sample_id, **{k: batch.iq[k] for k in IQ_KEYS})
    return buffer.getvalue()


def read_iq_shard(data: bytes) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {k: npz[k] for k in ("sample_id", *IQ_KEYS)}
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput("not a Heimdall IQ shard", field="shard") from exc
