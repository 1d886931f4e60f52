"""IQ-level generation on a process pool: batches computed in worker processes, yielded in order.

Sample i depends only on (seed, i), so a batch is the same bytes whichever process computes it.
Workers are started with ``spawn`` (no inherited locks or threads from the parent) and with the
BLAS/OpenMP pools pinned to one thread each, so that N workers use N cores, not N x cores.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from heimdall.synth.batch import SampleBatch
from heimdall.synth.config import DatasetConfig
from heimdall.synth.iq import iq_batch, iq_batch_ranges
from heimdall.synth.scenario import build_scenario

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_ENV_LOCK = threading.Lock()
_IN_FLIGHT_PER_WORKER = 2  # enough to hide one result's transfer; each batch is ~20 MB


MAX_DEFAULT_WORKERS = 4  # each worker holds ~0.2 GB and two ~20 MB batches in flight


def default_workers() -> int:
    """Processes for IQ-level generation when the caller has no better idea: the cores, up to 4."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


def can_use_processes() -> bool:
    """A daemonic process (e.g. a Celery prefork child) may not start children: run in-process there."""
    return not multiprocessing.current_process().daemon


def _iq_batch_job(config_json: str, first: int, last: int) -> SampleBatch:
    # build_scenario is cached per config inside each worker, so the ITM grid is paid once per worker
    return iq_batch(build_scenario(DatasetConfig.model_validate_json(config_json)), first, last)


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """A spawn pool whose children see the thread pins when they import numpy (threadpoolctl is not a
    dependency; the variables must be in the environment before the children start)."""
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in _THREAD_VARS}
        try:
            for name in _THREAD_VARS:
                os.environ[name] = "1"
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            # non-fork pools start a worker per submit while none is idle: start them all now, while
            # the pins are set (a spawned child takes far longer to boot than these submits)
            try:
                for warm_up in [pool.submit(int, 0) for _ in range(workers)]:
                    warm_up.result()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return pool


def generate_iq_parallel(config: DatasetConfig, start: int, count: int, batch_size: int,
                         workers: int) -> Iterator[SampleBatch]:
    """The batches of ``generate_iq`` for the same arguments, computed by ``workers`` processes."""
    ranges = deque(iq_batch_ranges(start, count, batch_size))
    config_json = config.model_dump_json()
    pool = _start_pool(min(workers, len(ranges)))
    pending: deque[Future[Any]] = deque()
    try:
        while ranges or pending:
            while ranges and len(pending) < workers * _IN_FLIGHT_PER_WORKER:
                first, last = ranges.popleft()
                pending.append(pool.submit(_iq_batch_job, config_json, first, last))
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
