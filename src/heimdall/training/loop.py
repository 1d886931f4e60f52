"""Training the neural localizer, in reading order: setup, evaluate, schedule, loop.

``train(config, data, hooks, resume_from, faults=...)`` is the whole public surface. ``data`` is a
``SampleSource`` (dataset shards, streamed batch by batch: ``heimdall.training.batches``) or a list of
sample dicts (parsed once into a ``MemorySource``). A job wrapper passes hooks to report progress and
metrics, store each epoch's checkpoint and ask for a pause. A pause saves the exact position (epoch,
batch, model, optimizer, scheduler, RNG states, running sums, best-so-far: see
``heimdall.training.checkpoints``) so that resuming from those bytes continues with the very next
batch and ends with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from heimdall.errors import InvalidInput, TrainingDiverged
from heimdall.nn.layout import ReceiverLayout
from heimdall.nn.network import build_network, mixture_nll, moment_match
from heimdall.nn.normalization import FeatureNormalization
from heimdall.nn.refine import has_timing
from heimdall.training.batches import DataPlan, FeatureBatch
from heimdall.training.checkpoints import (
    Trainable,
    TrainingState,
    load_checkpoint,
    restore,
    resume_config,
    write_checkpoint,
)
from heimdall.training.config import TrainingConfig
from heimdall.training.data import SampleSource, as_source
from heimdall.training.metrics import localization_metrics


@dataclass
class TrainingHooks:
    on_progress: Callable[[int, int], None] | None = None  # (global step, total steps)
    on_epoch: Callable[[int, dict[str, Any]], None] | None = None  # (1-based epoch, metrics)
    save_checkpoint: Callable[[bytes], None] | None = None  # every epoch, and on pause
    should_pause: Callable[[], bool] | None = None  # asked every ``pause_check_every`` batches
    on_prepare: Callable[[int, int], None] | None = None  # (shards read, total) while a new run fits its statistics


@dataclass(frozen=True)
class FaultPlan:
    """Deliberate faults: the seam through which tests drive the failure paths (no patching of the loop).

    ``nan_loss_from_epoch``: from that 1-based epoch on, every training loss is NaN.
    """

    nan_loss_from_epoch: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FaultPlan:
        try:
            return cls(**dict(data or {}))
        except TypeError as exc:
            raise InvalidInput(f"bad fault plan: {exc}", field="faults") from exc


@dataclass
class TrainingResult:
    status: str  # "completed" or "paused"
    checkpoint: bytes  # the latest state: resume from it, or export it (export uses the best weights)
    epochs_completed: int
    best_epoch: int | None
    best_metrics: dict[str, Any]
    history: list[dict[str, Any]]
    stopped_early: bool


@dataclass
class _Run(Trainable):
    data: DataPlan
    faults: FaultPlan

    @property
    def batches_per_epoch(self) -> int:
        return self.data.batches_per_epoch(self.config.batch_size)


# ----------------------------------------------------------------------------------------- setup


def _setup(config: TrainingConfig | None, source: SampleSource, resume: dict[str, Any] | None,
           hooks: TrainingHooks, faults: FaultPlan) -> _Run:
    if resume is not None:
        config = resume_config(config, resume, source.fingerprint)
    if config is None:
        raise InvalidInput("a training config is needed unless resuming")
    plan = DataPlan(source, seed=config.seed, val_fraction=config.val_fraction,
                    shuffle_buffer_samples=config.shuffle_buffer_samples)
    if resume is None:
        layout, normalization = plan.fit(hooks.on_prepare)
    else:
        layout = ReceiverLayout.from_dict(resume["layout"])
        normalization = FeatureNormalization.from_dict(resume["normalization"])
    torch.manual_seed(config.seed)  # weight init and dropout
    model = build_network(config.network, layout, normalization)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _schedule(config, plan.batches_per_epoch(config.batch_size)))
    run = _Run(config=config, layout=layout, normalization=normalization, fingerprint=source.fingerprint,
               model=model, optimizer=optimizer, scheduler=scheduler, state=TrainingState(), data=plan, faults=faults)
    if resume is not None:
        restore(run, resume)
    return run


# -------------------------------------------------------------------------------------- evaluate


@torch.no_grad()
def _evaluate(run: _Run) -> dict[str, Any]:
    """Validation metrics, the validation split streamed in ``eval_batch_size`` batches."""
    run.model.eval()
    scale = run.normalization.length_scale_m
    means, covs, nlls, targets, gdop, snr_db = [], [], [], [], [], []
    for batch in run.data.validation_batches(run.layout, run.config.eval_batch_size):
        params = run.model(torch.from_numpy(batch.features))
        nlls.append(mixture_nll(params, torch.from_numpy((batch.targets_en_m / scale).astype(np.float32))))
        mean, cov = moment_match(params)
        means.append(mean)
        covs.append(cov)
        targets.append(batch.targets_en_m)
        gdop.append(batch.gdop)
        snr_db.append(batch.snr_db)
    nll = torch.cat(nlls).double().numpy()
    if not np.all(np.isfinite(nll)):
        raise TrainingDiverged("the validation loss is not finite")
    metrics = localization_metrics(
        torch.cat(means).double().numpy() * scale, torch.cat(covs).double().numpy() * scale**2,
        np.concatenate(targets), nll + 2.0 * math.log(scale), gdop=_known(gdop), snr_db=_known(snr_db),
    )
    return {"val_loss": float(nll.mean()), **metrics}


def _known(parts: list[np.ndarray]) -> np.ndarray | None:
    """Band values (NaN: unknown), or None when no sample has one (the band metric is then left out)."""
    values = np.concatenate(parts)
    return values if np.isfinite(values).any() else None


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
    config: TrainingConfig | None, data: SampleSource | Sequence[Mapping[str, Any]],
    hooks: TrainingHooks | None = None, resume_from: bytes | None = None, *, faults: FaultPlan | None = None,
) -> TrainingResult:
    """Train (or resume, with ``config`` None or equal to the checkpoint's) until done, stopped early or paused."""
    hooks = hooks or TrainingHooks()
    resume = load_checkpoint(resume_from) if resume_from is not None else None
    run = _setup(config, as_source(data), resume, hooks, faults or FaultPlan())
    last_good = resume_from
    try:
        while run.state.epoch < run.config.epochs and not run.state.stopped_early:
            if _train_epoch(run, hooks):
                last_good = write_checkpoint(run, "paused")
                _call(hooks.save_checkpoint, last_good)
                return _result(run, "paused", last_good)
            metrics = _end_epoch(run)
            finished = run.state.epoch >= run.config.epochs or run.state.stopped_early
            last_good = write_checkpoint(run, "completed" if finished else "running")
            _call(hooks.save_checkpoint, last_good)
            _call(hooks.on_epoch, run.state.epoch, metrics)
    except TrainingDiverged as exc:
        exc.last_checkpoint = last_good
        exc.details = {"epoch": run.state.epoch + 1, "batch_index": run.state.batch_index}
        raise
    return _result(run, "completed", last_good or write_checkpoint(run, "completed"))


def _train_epoch(run: _Run, hooks: TrainingHooks) -> bool:
    """Run the epoch's remaining batches; True when it stopped for a pause."""
    s, cfg = run.state, run.config
    if s.batch_index == 0:
        s.loss_sum = s.grad_norm_sum = s.elapsed_s = 0.0
        s.n_seen = s.n_batches = 0
    total_steps = cfg.epochs * run.batches_per_epoch
    run.model.train()
    started = time.perf_counter()
    try:
        batches = run.data.epoch_batches(run.layout, s.epoch, cfg.batch_size, start_batch=s.batch_index)
        for b, batch in enumerate(batches, start=s.batch_index):
            if hooks.should_pause is not None and b % cfg.pause_check_every == 0 and hooks.should_pause():
                return True
            loss, grad_norm = _step(run, batch)
            s.batch_index, s.global_step = b + 1, s.global_step + 1
            s.loss_sum += loss * len(batch)
            s.grad_norm_sum += grad_norm
            s.n_seen += len(batch)
            s.n_batches += 1
            _call(hooks.on_progress, s.global_step, total_steps)
    finally:
        s.elapsed_s += time.perf_counter() - started
    return False


def _step(run: _Run, batch: FeatureBatch) -> tuple[float, float]:
    x = torch.from_numpy(batch.features)
    y = torch.from_numpy((batch.targets_en_m / run.normalization.length_scale_m).astype(np.float32))
    coarse, refined = run.model.coarse_and_refined(x)
    loss = mixture_nll(refined, y).mean()
    if refined is not coarse:
        # The head is also trained on its own: it is the refinement's prior and start, so it must stay calibrated.
        # Sets without timing are not refined (refined == coarse): their loss stays the plain head NLL.
        loss = loss + (mixture_nll(coarse, y) * has_timing(x).to(loss.dtype)).mean()
    if run.faults.nan_loss_from_epoch is not None and run.state.epoch + 1 >= run.faults.nan_loss_from_epoch:
        loss = loss * float("nan")
    if not torch.isfinite(loss):
        raise TrainingDiverged(f"the training loss became {loss.item()} at step {run.state.global_step + 1}")
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward unannotated
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
    s.epoch, s.batch_index = s.epoch + 1, 0
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
