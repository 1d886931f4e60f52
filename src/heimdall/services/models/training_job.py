"""``training``: train a neural localizer on datasets, then register its best network as a model.

Params (made by ``heimdall.services.models.training.training_params``): ``name``, ``dataset_ids``,
``config`` (a TrainingConfig dict), ``warm_start_model_id`` (or None), ``network_id``, and, only from
in-process callers (tests), ``faults`` (a ``heimdall.training.FaultPlan`` dict).

Steps: train on the datasets' shards, streamed (a new run first reads every shard once for its
statistics, ``phase: "load"``, honouring pause or cancel between shards), with the loop's hooks wired
to the job (progress per batch, throttled by the context; one metrics row and ``job.metrics`` event
per epoch; a checkpoint every epoch and on pause; pause/cancel asked every ``pause_check_every``
batches) -> export the best weights to ONNX, checked against PyTorch -> register
the model (``model.registered`` on ``models``). A resumed job continues from its checkpoint at the
exact batch; a job restarted after training finished goes straight to registering, and one restarted
after registering finds its model (registering is idempotent per job). A non-finite loss fails the job
with the reason; the last good checkpoint stays the job's checkpoint.

Torch is imported inside the job, never when the module is imported: API processes import job modules.
"""

from __future__ import annotations

from typing import Any

from heimdall.errors import InvalidInput, TrainingFailed
from heimdall.jobs.context import JobContext, JobPaused
from heimdall.jobs.registry import job_kind
from heimdall.services.common import finite_json
from heimdall.services.models.registry import ModelRegistry, Provenance
from heimdall.services.models.training import TRAINING_KIND, training_config_from
from heimdall.services.models.training_data import DatasetInfo, describe_datasets, training_source
from heimdall.training.availability import require_torch
from heimdall.training.data import SampleSource


@job_kind(TRAINING_KIND, queue="gpu")
def run_training(ctx: JobContext) -> dict[str, Any]:
    params = _params(ctx.params)
    registry = ModelRegistry(ctx.session_factory, ctx.blobs, ctx.publish)
    existing = registry.find_by_job(ctx.job_id)
    if existing is not None:
        return _result(existing)
    datasets = describe_datasets(ctx.session_factory, params["dataset_ids"])
    source = training_source(ctx.blobs, datasets)
    checkpoint = ctx.load_checkpoint()
    if checkpoint is None or not _finished(checkpoint):
        checkpoint = _train(ctx, params, source, checkpoint, registry)
    return _result(_register(ctx, registry, params, datasets, checkpoint))


def _params(raw: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(raw.get("name"), str) or not isinstance(raw.get("dataset_ids"), list):
        raise InvalidInput("a training job needs 'name' and 'dataset_ids' params")
    return {**raw, "config": training_config_from(raw.get("config") or {})}


def _loading(ctx: JobContext, done: int, total: int) -> None:
    ctx.check()
    ctx.progress(done, total, phase="load", message=f"read {done}/{total} shards")


def _training() -> Any:
    """``heimdall.training`` with torch loaded, or DependencyMissing naming the extra to install."""
    require_torch()
    from heimdall import training

    return training


def _finished(checkpoint: bytes) -> bool:
    return bool(_training().checkpoint_summary(checkpoint)["status"] == "completed")


def _train(ctx: JobContext, params: dict[str, Any], source: SampleSource, checkpoint: bytes | None,
           registry: ModelRegistry) -> bytes:
    training = _training()
    config = params["config"]
    hooks = training.TrainingHooks(
        on_progress=lambda step, total: _progress(ctx, step, total, config.epochs),
        on_epoch=lambda epoch, metrics: ctx.metrics(epoch, finite_json(metrics)),
        save_checkpoint=ctx.save_checkpoint,
        should_pause=lambda: _pause_requested(ctx),
        on_prepare=lambda done, total: _loading(ctx, done, total),
    )
    # Deliberate faults: only an in-process caller can put them in the params (tests); no request can.
    faults = training.FaultPlan.from_dict(params.get("faults"))
    if checkpoint is None and params.get("warm_start_model_id"):
        parent = registry.checkpoint_bytes(params["warm_start_model_id"])
        checkpoint = training.warm_start_checkpoint(config, source, parent)
    try:
        result = training.train(None if checkpoint is not None else config, source, hooks, resume_from=checkpoint,
                                faults=faults)
    except training.TrainingDiverged as exc:
        kept = "the last good checkpoint is kept" if exc.last_checkpoint else "no epoch had completed"
        raise TrainingFailed(f"training diverged: {exc.message}; {kept}", details=exc.details) from exc
    if result.status == "paused":
        raise JobPaused(ctx.job_id)
    return bytes(result.checkpoint)


def _progress(ctx: JobContext, step: int, total: int, epochs: int) -> None:
    per_epoch = max(total // max(epochs, 1), 1)
    epoch = min((step - 1) // per_epoch + 1, epochs)
    ctx.progress(step, total, phase="train", message=f"epoch {epoch}/{epochs}")


def _pause_requested(ctx: JobContext) -> bool:
    """The loop saves its exact position itself when this says yes; a cancel propagates as JobCancelled."""
    try:
        ctx.check()
    except JobPaused:
        return True
    return False


def _register(ctx: JobContext, registry: ModelRegistry, params: dict[str, Any], datasets: list[DatasetInfo],
              checkpoint: bytes) -> dict[str, Any]:
    from heimdall.training.onnx_check import export_checked_onnx

    ctx.progress(0, 1, phase="register", message="exporting to ONNX")
    onnx_bytes = export_checked_onnx(checkpoint)
    provenance = Provenance(
        network_id=datasets[0].network_id, job_id=ctx.job_id, parent_model_id=params.get("warm_start_model_id"),
        dataset_ids=tuple(params["dataset_ids"]),
    )
    model = registry.register(params["name"], onnx_bytes, checkpoint, provenance)
    ctx.progress(1, 1, phase="register", message=f"registered model {model['id']}")
    return model


def _result(model: dict[str, Any]) -> dict[str, Any]:
    return {"model_id": model["id"], "best_epoch": model["best_epoch"], "metrics": finite_json(model["metrics"])}
