"""Streaming dataset generation: ``generate(config, start_index, count)`` yields batches."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from heimdall.errors import InvalidInput
from heimdall.synth.batch import SampleBatch, concatenate
from heimdall.synth.config import DatasetConfig, load_config
from heimdall.synth.engine import BLOCK_SIZE, simulate_block
from heimdall.synth.scenario import Scenario, build_scenario

DEFAULT_BATCH_SIZE = 4096


def generate(
    config: DatasetConfig | Mapping[str, Any] | str | Path,
    start_index: int = 0,
    count: int | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
) -> Iterator[SampleBatch]:
    """Samples ``start_index .. start_index + count - 1`` (count defaults to the rest of
    ``config.num_samples``) in batches of ``batch_size`` (the last may be shorter).

    Memory stays bounded by the batch size, whatever the count. Sample i is the same whichever
    call produces it, so a dataset can be generated in pieces, resumed, or expanded with new ids.

    ``workers`` > 1 computes IQ-level batches in that many spawned processes (same bytes, same
    order); measurement-level generation is cheap per sample and always runs in-process, and so
    does everything inside a daemonic process, which may not start children.
    """
    config = load_config(config)
    if start_index < 0:
        raise InvalidInput("start_index must be >= 0", field="start_index")
    count = max(config.num_samples - start_index, 0) if count is None else count
    if count < 0:
        raise InvalidInput("count must be >= 0", field="count")
    if batch_size < 1:
        raise InvalidInput("batch_size must be >= 1", field="batch_size")
    if workers < 1:
        raise InvalidInput("workers must be >= 1", field="workers")
    if count == 0:
        return
    scenario = build_scenario(config)
    if config.iq.enabled:
        from heimdall.synth.iq import generate_iq, iq_batch_ranges
        from heimdall.synth.parallel import can_use_processes, generate_iq_parallel

        if workers > 1 and len(iq_batch_ranges(start_index, count, batch_size)) > 1 and can_use_processes():
            yield from generate_iq_parallel(config, start_index, count, batch_size, workers)
        else:
            yield from generate_iq(scenario, start_index, count, batch_size)
        return
    yield from _batched(_pieces(scenario, start_index, start_index + count), batch_size)


def _pieces(scenario: Scenario, start: int, stop: int) -> Iterator[SampleBatch]:
    for block in range(start // BLOCK_SIZE, (stop - 1) // BLOCK_SIZE + 1):
        first = block * BLOCK_SIZE
        batch = simulate_block(scenario, block)
        yield batch.slice(max(start - first, 0), min(stop - first, BLOCK_SIZE))


def _batched(pieces: Iterator[SampleBatch], batch_size: int) -> Iterator[SampleBatch]:
    pending: list[SampleBatch] = []
    size = 0
    for piece in pieces:
        pending.append(piece)
        size += len(piece)
        while size >= batch_size:
            merged = concatenate(pending) if len(pending) > 1 else pending[0]
            yield merged.slice(0, batch_size)
            rest = merged.slice(batch_size, len(merged))
            pending, size = ([rest] if len(rest) else []), len(rest)
    if size:
        yield concatenate(pending) if len(pending) > 1 else pending[0]
