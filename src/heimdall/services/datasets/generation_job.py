"""``dataset.generate``: simulate samples ``start_index .. start_index+count-1`` of a dataset into shards.

One shard per step: generate it (``heimdall.synth.generate``), write it to the blob store (atomic),
then record it on the dataset row, so a crash never registers half a shard (an unregistered blob is
simply written again, with the same bytes, by the next run). Between shards the job honours pause
and cancel; the dataset row is the position: a resumed or requeued run continues at the first
sample not yet committed, so the shards are byte-identical to an uninterrupted run's. At the end
every shard is re-read (sha256, counts, physics) and the statistics computed; the dataset is ready.

Cancelled or failed: ``DatasetStore.settle`` decides the dataset's status (docs/datasets.md), and the
job ends ``cancelled`` / ``failed`` with the reason as usual.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from heimdall.errors import HeimdallError, InvalidInput
from heimdall.jobs.context import JobCancelled, JobContext, JobPaused
from heimdall.jobs.registry import job_kind
from heimdall.jobs.repository import LeaseLost
from heimdall.services.datasets.shards import check_dataset, store_batch
from heimdall.services.datasets.store import DatasetStore, shard_added_data
from heimdall.synth import generate, load_config
from heimdall.synth.iq import IQ_MAX_BATCH
from heimdall.synth.parallel import default_workers

log = logging.getLogger(__name__)
TOPIC = "datasets"


@dataclass(frozen=True)
class GenerateParams:
    dataset_id: str
    start_index: int
    count: int
    shard_size: int

    @classmethod
    def parse(cls, params: dict[str, Any]) -> GenerateParams:
        try:
            parsed = cls(str(params["dataset_id"]), int(params["start_index"]), int(params["count"]),
                         int(params["shard_size"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"bad dataset.generate params: {exc!r}", field="params") from exc
        if parsed.start_index < 0 or parsed.count < 1 or parsed.shard_size < 1:
            raise InvalidInput("dataset.generate needs start_index >= 0, count >= 1, shard_size >= 1", field="params")
        return parsed

    @property
    def stop(self) -> int:
        return self.start_index + self.count


@job_kind("dataset.generate", queue="cpu")
def generate_dataset(ctx: JobContext) -> dict[str, Any]:
    params = GenerateParams.parse(ctx.params)
    store = DatasetStore(ctx.session_factory)
    dataset = store.attach_job(params.dataset_id, ctx.job_id)
    try:
        dataset = _generate_shards(ctx, store, dataset, params)
        ctx.progress(params.count, params.count, phase="verify", message="checking every shard")
        validation, statistics = check_dataset(ctx.blobs, dataset, on_shard=lambda _done, _total: _check(ctx, params))
        dataset = store.finish(params.dataset_id, ctx.job_id, validation, statistics)
    except JobCancelled:
        _settle(ctx, store, params, "cancelled", "generation cancelled by request")
        raise
    except (JobPaused, LeaseLost):
        raise
    except Exception as exc:
        _settle(ctx, store, params, "failed", _reason(exc))
        raise
    ctx.publish(TOPIC, "dataset.updated", dataset)
    return {"dataset_id": params.dataset_id, "start_index": params.start_index, "count": params.count,
            "num_samples": dataset["num_samples"], "shards": len(dataset["shards"]), "valid": validation["ok"]}


def _generate_shards(ctx: JobContext, store: DatasetStore, dataset: dict[str, Any],
                     params: GenerateParams) -> dict[str, Any]:
    committed = dataset["num_samples"]
    if not params.start_index <= committed <= params.stop:
        raise InvalidInput(f"dataset {params.dataset_id} holds {committed} samples, outside this job's "
                           f"range {params.start_index}..{params.stop}", field="params")
    config = load_config(dataset["config"])
    # IQ batches are capped by the simulator; shard boundaries must not depend on where a run started.
    shard_size = min(params.shard_size, IQ_MAX_BATCH) if config.iq.enabled else params.shard_size
    position = committed
    # A checkpoint marks the job resumable (a lost worker is requeued, not failed); the row holds the position.
    ctx.save_checkpoint(_checkpoint(position))
    batches = generate(config, position, params.stop - position, batch_size=shard_size, workers=default_workers())
    ctx.progress(position - params.start_index, params.count, phase="generate")
    while position < params.stop:
        _check(ctx, params, position)
        batch = next(batches)
        entry = store_batch(ctx.blobs, params.dataset_id, batch)
        dataset = store.register_shard(params.dataset_id, ctx.job_id, entry, ctx.holds_lease)
        ctx.publish(TOPIC, "dataset.shard_added", shard_added_data(dataset, entry))
        position += len(batch)
        done = position - params.start_index
        ctx.progress(done, params.count, phase="generate", message=f"{done}/{params.count} samples")
    return dataset


def _check(ctx: JobContext, params: GenerateParams, position: int | None = None) -> None:
    position = params.stop if position is None else position
    ctx.check(on_pause=partial(ctx.save_checkpoint, _checkpoint(position)))


def _checkpoint(position: int) -> bytes:
    return json.dumps({"next_index": position}).encode()


def _settle(ctx: JobContext, store: DatasetStore, params: GenerateParams, outcome: str, reason: str) -> None:
    try:
        dataset = store.settle(params.dataset_id, ctx.job_id, outcome, reason)
    except HeimdallError:
        # The job still ends with its own reason; reading the dataset later settles it from the job's state.
        log.warning("dataset %s: could not record the end of job %s", params.dataset_id, ctx.job_id, exc_info=True)
        return
    if dataset is not None:
        ctx.publish(TOPIC, "dataset.updated", dataset)


def _reason(exc: Exception) -> str:
    if isinstance(exc, HeimdallError):
        return exc.message
    return f"job crashed: {exc.__class__.__name__}: {exc}"[:500]
