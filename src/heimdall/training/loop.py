"""Training the neural localizer, in reading order: setup, evaluate, schedule, loop, checkpoint.

``train(config, samples, hooks, resume_from)`` is the whole public surface; a job wrapper passes
hooks to report progress and metrics, store each epoch's checkpoint and ask for a pause. A pause
saves the exact position (epoch, batch, data order, model, optimizer, scheduler, RNG states,
running sums, best-so-far) so that resuming from those bytes continues with the very next batch and
ends with the same weights as an uninterrupted run.

A sample is ``{"sample_id": str, "truth": {"lat", "lon", "alt_m"}, "measurement_set": {...}}``
(CONTRACT section 4.1), optionally with ``gdop`` and ``snr_db`` (top level or under ``meta``) for the
per-band error metrics.
"""

from __future__ import annotations

import copy
import hashlib
import io
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from heimdall.errors import HeimdallError, InvalidInput
from heimdall.nn import network as _network
from heimdall.nn.features import FEATURE_CHANNELS, build_features, targets_en_m
from heimdall.nn.layout import ReceiverLayout, layout_from_measurement_sets
from heimdall.nn.network import SetLocalizer, mixture_nll, moment_match
from heimdall.nn.normalization import FeatureNormalization, fit_normalization
from heimdall.nn.refine import has_timing
from heimdall.training.config import TrainingConfig
from heimdall.training.data import band_values, measurement_sets_of, split_by_id
from heimdall.training.metrics import localization_metrics

CHECKPOINT_KIND = "heimdall.neural_localizer.checkpoint"
CHECKPOINT_SCHEMA_VERSION = 1


class TrainingDiverged(HeimdallError):
    """The loss or gradient went non-finite; ``last_checkpoint`` holds the last good state (or None)."""

    code = "training_diverged"
    http_status = 422

    def __init__(self, message: str, *, last_checkpoint: bytes | None = None, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.last_checkpoint = last_checkpoint


@dataclass
class TrainingHooks:
    on_progress: Callable[[int, int], None] | None = None  # (global step, total steps)
    on_epoch: Callable[[int, dict[str, Any]], None] | None = None  # (1-based epoch, metrics)
    save_checkpoint: Callable[[bytes], None] | None = None  # every epoch, and on pause
    should_pause: Callable[[], bool] | None = None  # asked every ``pause_check_every`` batches


@dataclass
class TrainingResult:
    status: str  # "completed" or "paused"
    checkpoint: bytes  # the latest state: resume from it, or export it (export uses the best weights)
    epochs_completed: int
    best_epoch: int | None
    best_metrics: dict[str, Any]
    history: list[dict[str, Any]]
    stopped_early: bool


# ----------------------------------------------------------------------------------------- setup


@dataclass
class _State:
    """Everything that moves during training; exactly what a checkpoint must hold to continue."""

    epoch: int = 0
    batch_index: int = 0
    global_step: int = 0
    order: list[int] | None = None
    loss_sum: float = 0.0
    grad_norm_sum: float = 0.0
    n_seen: int = 0
    n_batches: int = 0
    elapsed_s: float = 0.0
    best_val_loss: float = math.inf
    best_epoch: int | None = None
    best_metrics: dict[str, Any] = field(default_factory=dict)
    best_model_state: dict[str, torch.Tensor] | None = None
    bad_epochs: int = 0
    stopped_early: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Run:
    config: TrainingConfig
    layout: ReceiverLayout
    normalization: FeatureNormalization
    fingerprint: str
    train_x: torch.Tensor
    train_y: torch.Tensor  # in units of length_scale_m
    val_x: torch.Tensor
    val_y_m: np.ndarray
    val_bands: dict[str, list[float | None]]
    model: SetLocalizer
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    state: _State

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.train_x) / self.config.batch_size)


def _setup(config: TrainingConfig | None, samples: Sequence[Mapping[str, Any]], resume: dict | None) -> _Run:
    if resume is not None:
        config = _resume_config(config, resume)
    if config is None:
        raise InvalidInput("a training config is needed unless resuming")
    train, val = split_by_id(samples, config.val_fraction, config.seed)
    fingerprint = hashlib.sha256("\n".join(sorted(s["sample_id"] for s in samples)).encode()).hexdigest()
    if resume is None:
        layout = layout_from_measurement_sets(measurement_sets_of(samples))
    else:
        layout = ReceiverLayout.from_dict(resume["layout"])
        if resume["data_fingerprint"] != fingerprint:
            raise InvalidInput("resuming needs exactly the samples the run started with")
    train_x = build_features(measurement_sets_of(train), layout)
    train_y_m = targets_en_m([s["truth"] for s in train], layout)
    normalization = (
        fit_normalization(train_x, train_y_m) if resume is None else FeatureNormalization.from_dict(resume["normalization"])
    )
    torch.manual_seed(config.seed)  # weight init and dropout
    model = SetLocalizer(config.network, normalization, source_up_m=-layout.centre_alt_m,
                         timing=bool({"toa", "tdoa"} & set(layout.modalities)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    run = _Run(
        config=config, layout=layout, normalization=normalization, fingerprint=fingerprint,
        train_x=torch.from_numpy(train_x),
        train_y=torch.from_numpy((train_y_m / normalization.length_scale_m).astype(np.float32)),
        val_x=torch.from_numpy(build_features(measurement_sets_of(val), layout)),
        val_y_m=targets_en_m([s["truth"] for s in val], layout), val_bands=band_values(val),
        model=model, optimizer=optimizer, scheduler=None, state=_State(),  # type: ignore[arg-type]
    )
    run.scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(config, run.batches_per_epoch))
    if resume is not None:
        _restore(run, resume)
    return run


# -------------------------------------------------------------------------------------- evaluate


@torch.no_grad()
def _evaluate(run: _Run) -> dict[str, Any]:
    run.model.eval()
    scale = run.normalization.length_scale_m
    means, covs, nlls = [], [], []
    target = torch.from_numpy((run.val_y_m / scale).astype(np.float32))
    for start in range(0, len(run.val_x), run.config.eval_batch_size):
        chunk = slice(start, start + run.config.eval_batch_size)
        params = run.model(run.val_x[chunk])
        nlls.append(mixture_nll(params, target[chunk]))
        mean, cov = moment_match(params)
        means.append(mean)
        covs.append(cov)
    nll = torch.cat(nlls).double().numpy()
    if not np.all(np.isfinite(nll)):
        raise TrainingDiverged("the validation loss is not finite")
    metrics = localization_metrics(
        torch.cat(means).double().numpy() * scale, torch.cat(covs).double().numpy() * scale**2, run.val_y_m,
        nll + 2.0 * math.log(scale), gdop=run.val_bands.get("gdop"), snr_db=run.val_bands.get("snr_db"),
    )
    return {"val_loss": float(nll.mean()), **metrics}


# -------------------------------------------------------------------------------------- schedule


def _schedule(config: TrainingConfig, batches_per_epoch: int) -> Callable[[int], float]:
    """Learning-rate factor per optimizer step: linear warm-up, then cosine down to min_lr_fraction."""
    total = max(config.epochs * batches_per_epoch, 1)
    warmup = int(config.warmup_fraction * total)
    floor = config.min_lr_fraction

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min((step - warmup) / max(total - warmup, 1), 1.0)
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


# ------------------------------------------------------------------------------------------ loop


def train(
    config: TrainingConfig | None, samples: Sequence[Mapping[str, Any]], hooks: TrainingHooks | None = None,
    resume_from: bytes | None = None,
) -> TrainingResult:
    """Train (or resume, with ``config`` None or equal to the checkpoint's) until done, stopped early or paused."""
    hooks = hooks or TrainingHooks()
    run = _setup(config, samples, load_checkpoint(resume_from) if resume_from is not None else None)
    last_good = resume_from
    try:
        while run.state.epoch < run.config.epochs and not run.state.stopped_early:
            if _train_epoch(run, hooks):
                last_good = _checkpoint_bytes(run, "paused")
                _call(hooks.save_checkpoint, last_good)
                return _result(run, "paused", last_good)
            metrics = _end_epoch(run)
            finished = run.state.epoch >= run.config.epochs or run.state.stopped_early
            last_good = _checkpoint_bytes(run, "completed" if finished else "running")
            _call(hooks.save_checkpoint, last_good)
            _call(hooks.on_epoch, run.state.epoch, metrics)
    except TrainingDiverged as exc:
        exc.last_checkpoint = last_good
        exc.details = {"epoch": run.state.epoch + 1, "batch_index": run.state.batch_index}
        raise
    return _result(run, "completed", last_good or _checkpoint_bytes(run, "completed"))


def _train_epoch(run: _Run, hooks: TrainingHooks) -> bool:
    """Run the epoch's remaining batches; True when it stopped for a pause."""
    s, cfg = run.state, run.config
    if s.batch_index == 0:
        s.order = np.random.default_rng([cfg.seed, s.epoch]).permutation(len(run.train_x)).tolist()
        s.loss_sum = s.grad_norm_sum = s.elapsed_s = 0.0
        s.n_seen = s.n_batches = 0
    total_steps = cfg.epochs * run.batches_per_epoch
    run.model.train()
    started = time.perf_counter()
    try:
        for b in range(s.batch_index, run.batches_per_epoch):
            if hooks.should_pause is not None and b % cfg.pause_check_every == 0 and hooks.should_pause():
                return True
            idx = torch.tensor(s.order[b * cfg.batch_size:(b + 1) * cfg.batch_size])
            loss, grad_norm = _step(run, idx)
            s.batch_index, s.global_step = b + 1, s.global_step + 1
            s.loss_sum += loss * len(idx)
            s.grad_norm_sum += grad_norm
            s.n_seen += len(idx)
            s.n_batches += 1
            _call(hooks.on_progress, s.global_step, total_steps)
    finally:
        s.elapsed_s += time.perf_counter() - started
    return False


def _step(run: _Run, idx: torch.Tensor) -> tuple[float, float]:
    coarse, refined = run.model.coarse_and_refined(run.train_x[idx])
    loss = mixture_nll(refined, run.train_y[idx]).mean()
    if refined is not coarse:
        # The head is also trained on its own: it is the refinement's prior and start, so it must stay calibrated.
        # Sets without timing are not refined (refined == coarse): their loss stays the plain head NLL.
        timing = has_timing(run.train_x[idx]).to(loss.dtype)
        loss = loss + (_network.mixture_nll(coarse, run.train_y[idx]) * timing).mean()
    if not torch.isfinite(loss):
        raise TrainingDiverged(f"the training loss became {loss.item()} at step {run.state.global_step + 1}")
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    clip = run.config.grad_clip_norm if run.config.grad_clip_norm is not None else math.inf
    grad_norm = torch.nn.utils.clip_grad_norm_(run.model.parameters(), clip)
    if not torch.isfinite(grad_norm):
        raise TrainingDiverged(f"the gradient norm became {grad_norm.item()} at step {run.state.global_step + 1}")
    run.optimizer.step()
    run.scheduler.step()
    return float(loss.item()), float(grad_norm.item())


def _end_epoch(run: _Run) -> dict[str, Any]:
    s, cfg = run.state, run.config
    metrics = {
        "epoch": s.epoch + 1,
        "train_loss": s.loss_sum / max(s.n_seen, 1),
        **_evaluate(run),
        "grad_norm": s.grad_norm_sum / max(s.n_batches, 1),
        "lr": run.optimizer.param_groups[0]["lr"],
        "samples_per_s": s.n_seen / s.elapsed_s if s.elapsed_s > 0 else math.nan,
    }
    s.history.append(metrics)
    if metrics["val_loss"] < s.best_val_loss - cfg.early_stopping_min_delta:
        s.best_val_loss, s.best_epoch, s.best_metrics, s.bad_epochs = metrics["val_loss"], s.epoch + 1, metrics, 0
        s.best_model_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
    else:
        s.bad_epochs += 1
    s.epoch, s.batch_index, s.order = s.epoch + 1, 0, None
    s.stopped_early = cfg.early_stopping_patience is not None and s.bad_epochs >= cfg.early_stopping_patience
    return metrics


def _call(hook: Callable[..., None] | None, *args: Any) -> None:
    if hook is not None:
        hook(*args)


def _result(run: _Run, status: str, checkpoint: bytes) -> TrainingResult:
    s = run.state
    return TrainingResult(
        status=status, checkpoint=checkpoint, epochs_completed=s.epoch, best_epoch=s.best_epoch,
        best_metrics=copy.deepcopy(s.best_metrics), history=copy.deepcopy(s.history), stopped_early=s.stopped_early,
    )


# ------------------------------------------------------------------------------------ checkpoint


def _checkpoint_bytes(run: _Run, status: str) -> bytes:
    """A self-describing checkpoint: what is needed to rebuild and use the network, and to resume."""
    s = run.state
    payload = {
        "kind": CHECKPOINT_KIND,
        "schema_version": CHECKPOINT_SCHEMA_VERSION,
        "status": status,
        "config": run.config.to_dict(),
        "layout": run.layout.to_dict(),
        "normalization": run.normalization.to_dict(),
        "feature_channels": list(FEATURE_CHANNELS),
        "data_fingerprint": run.fingerprint,
        "position": {"epoch": s.epoch, "batch_index": s.batch_index, "global_step": s.global_step},
        "data_order": None if s.order is None else torch.tensor(s.order),
        "accumulators": {"loss_sum": s.loss_sum, "grad_norm_sum": s.grad_norm_sum, "n_seen": s.n_seen,
                         "n_batches": s.n_batches, "elapsed_s": s.elapsed_s},
        "model_state": run.model.state_dict(),
        "optimizer_state": run.optimizer.state_dict(),
        "scheduler_state": run.scheduler.state_dict(),
        "best": {"val_loss": s.best_val_loss, "epoch": s.best_epoch, "metrics": s.best_metrics,
                 "model_state": s.best_model_state, "bad_epochs": s.bad_epochs},
        "stopped_early": s.stopped_early,
        "history": s.history,
        "rng": {"torch": torch.get_rng_state(), "numpy": _numpy_rng_state(), "python": random.getstate()},
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def load_checkpoint(data: bytes) -> dict[str, Any]:
    """Read checkpoint bytes (tensors and plain data only: nothing is unpickled as code)."""
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises many types for corrupt bytes; all mean the same here
        raise InvalidInput(f"not a readable checkpoint: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("kind") != CHECKPOINT_KIND:
        raise InvalidInput("not a Heimdall neural localizer checkpoint")
    if payload.get("schema_version") != CHECKPOINT_SCHEMA_VERSION:
        raise InvalidInput(f"unsupported checkpoint schema_version {payload.get('schema_version')}")
    return payload


def checkpoint_summary(data: bytes) -> dict[str, Any]:
    """The JSON-able description of a checkpoint (for a model registry): no tensors."""
    payload = load_checkpoint(data)
    keys = ("status", "schema_version", "config", "layout", "normalization", "feature_channels", "position",
            "history", "stopped_early")
    best = payload["best"]
    return {**{k: payload[k] for k in keys}, "best_epoch": best["epoch"], "best_metrics": best["metrics"]}


def network_from_checkpoint(data: bytes | dict[str, Any], *, best: bool = True) -> SetLocalizer:
    """The network of a checkpoint in eval mode: the best weights by val loss unless ``best`` is False."""
    payload = load_checkpoint(data) if isinstance(data, bytes | bytearray) else data
    config = TrainingConfig.from_dict(payload["config"])
    state = payload["best"]["model_state"] if best else payload["model_state"]
    if state is None:
        raise InvalidInput("the checkpoint has no evaluated weights yet (no epoch completed)")
    network = SetLocalizer(config.network, FeatureNormalization.from_dict(payload["normalization"]),
                           source_up_m=-float(payload["layout"]["centre"]["alt_m"]),
                           timing=bool({"toa", "tdoa"} & set(payload["layout"]["modalities"])))
    network.load_state_dict(state)
    return network.eval()


def _resume_config(config: TrainingConfig | None, resume: dict[str, Any]) -> TrainingConfig:
    saved = TrainingConfig.from_dict(resume["config"])
    if config is not None and config != saved:
        mine, theirs = config.to_dict(), saved.to_dict()
        differ = sorted(k for k in mine if mine[k] != theirs[k])
        raise InvalidInput(f"the config differs from the checkpoint's in: {', '.join(differ)}", field=differ[0])
    if resume["status"] == "completed":
        raise InvalidInput("the checkpoint is of a completed run; there is nothing to resume")
    return saved


def _restore(run: _Run, resume: dict[str, Any]) -> None:
    run.model.load_state_dict(resume["model_state"])
    run.optimizer.load_state_dict(resume["optimizer_state"])
    run.scheduler.load_state_dict(resume["scheduler_state"])
    s, best = run.state, resume["best"]
    s.epoch, s.batch_index, s.global_step = (resume["position"][k] for k in ("epoch", "batch_index", "global_step"))
    s.order = None if resume["data_order"] is None else resume["data_order"].tolist()
    for key, value in resume["accumulators"].items():
        setattr(s, key, value)
    s.best_val_loss, s.best_epoch, s.best_metrics = best["val_loss"], best["epoch"], best["metrics"]
    s.best_model_state, s.bad_epochs = best["model_state"], best["bad_epochs"]
    s.stopped_early, s.history = resume["stopped_early"], list(resume["history"])
    torch.set_rng_state(resume["rng"]["torch"])
    np.random.set_state(_numpy_rng_state_from(resume["rng"]["numpy"]))
    random.setstate(_python_rng_state_from(resume["rng"]["python"]))


def _numpy_rng_state() -> tuple:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return (name, [int(k) for k in keys], int(pos), int(has_gauss), float(cached))


def _numpy_rng_state_from(saved: Sequence[Any]) -> tuple:
    name, keys, pos, has_gauss, cached = saved
    return (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached)


def _python_rng_state_from(saved: Sequence[Any]) -> tuple:
    version, internal, gauss = saved
    return (version, tuple(internal), gauss)
