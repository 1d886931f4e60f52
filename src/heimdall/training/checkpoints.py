"""Training checkpoints: the one definition of what they hold, how they are written and read back.

A checkpoint is self-describing (nanoGPT style): ``torch.save`` bytes of plain data and tensors, read
back with ``weights_only=True`` (nothing is unpickled as code). It holds what is needed to rebuild
and use the network (``config``, ``layout``, ``normalization``, ``feature_channels``, the weights and
the best weights by validation loss) and to continue training at the exact batch (``position``,
``accumulators``, optimizer, scheduler and RNG states, best-so-far, early-stopping counter,
``history``), plus the ``data_fingerprint`` of the samples it was trained on.

A job saves a **start checkpoint** (``start_checkpoint``: the config and ``status: "start"``, nothing
trained) before its first batch, so a worker lost before the first epoch's checkpoint is requeued like
any other (docs/jobs.md); resuming from it starts the run from the beginning, which, seeded, is the run
that was lost. It holds no network: summaries and networks refuse it.

Schema version 2 (streamed batches): the data order is a function of (seed, epoch), so the epoch's
order is no longer stored. Version 1 checkpoints still load for export, serving and warm starts, but
cannot be resumed (their run read its samples in another order).
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from heimdall.errors import IncompatibleCheckpoint, InvalidInput
from heimdall.nn.features import FEATURE_CHANNELS
from heimdall.nn.layout import ReceiverLayout
from heimdall.nn.network import SetLocalizer, build_network
from heimdall.nn.normalization import FeatureNormalization
from heimdall.training.config import TrainingConfig

CHECKPOINT_KIND = "heimdall.neural_localizer.checkpoint"
CHECKPOINT_SCHEMA_VERSION = 2
READABLE_SCHEMA_VERSIONS = (1, 2)
START_STATUS = "start"
SUMMARY_KEYS = ("status", "schema_version", "config", "layout", "normalization", "feature_channels", "position",
                "history", "stopped_early")


@dataclass
class TrainingState:
    """Everything that moves during training besides the network, optimizer and scheduler."""

    epoch: int = 0
    batch_index: int = 0
    global_step: int = 0
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
class Trainable:
    """What a checkpoint is written from and restored into."""

    config: TrainingConfig
    layout: ReceiverLayout
    normalization: FeatureNormalization
    fingerprint: str
    model: SetLocalizer
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    state: TrainingState


def write_checkpoint(run: Trainable, status: str) -> bytes:
    s = run.state
    payload = {
        "kind": CHECKPOINT_KIND, "schema_version": CHECKPOINT_SCHEMA_VERSION, "status": status,
        "config": run.config.to_dict(), "layout": run.layout.to_dict(), "normalization": run.normalization.to_dict(),
        "feature_channels": list(FEATURE_CHANNELS), "data_fingerprint": run.fingerprint,
        "position": {"epoch": s.epoch, "batch_index": s.batch_index, "global_step": s.global_step},
        "accumulators": {"loss_sum": s.loss_sum, "grad_norm_sum": s.grad_norm_sum, "n_seen": s.n_seen,
                         "n_batches": s.n_batches, "elapsed_s": s.elapsed_s},
        "model_state": run.model.state_dict(), "optimizer_state": run.optimizer.state_dict(),
        "scheduler_state": run.scheduler.state_dict(),
        "best": {"val_loss": s.best_val_loss, "epoch": s.best_epoch, "metrics": s.best_metrics,
                 "model_state": s.best_model_state, "bad_epochs": s.bad_epochs},
        "stopped_early": s.stopped_early, "history": s.history,
        "rng": {"torch": torch.get_rng_state(), "numpy": _numpy_rng_state(), "python": random.getstate()},
    }
    return dump_checkpoint(payload)


def start_checkpoint(config: TrainingConfig) -> bytes:
    """The checkpoint of a run that has not trained yet: resuming from it means starting from the beginning."""
    return dump_checkpoint({"kind": CHECKPOINT_KIND, "schema_version": CHECKPOINT_SCHEMA_VERSION,
                            "status": START_STATUS, "config": config.to_dict()})


def is_start_checkpoint(data: bytes) -> bool:
    return load_checkpoint(data).get("status") == START_STATUS


def _trained(payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("status") == START_STATUS:
        raise InvalidInput("a start checkpoint holds no network (its run had not trained yet)")
    return payload


def dump_checkpoint(payload: dict[str, Any]) -> bytes:
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
    if payload.get("schema_version") not in READABLE_SCHEMA_VERSIONS:
        raise InvalidInput(f"unsupported checkpoint schema_version {payload.get('schema_version')}")
    return payload


def checkpoint_summary(data: bytes) -> dict[str, Any]:
    """The JSON-able description of a checkpoint (for a model registry): no tensors."""
    payload = _trained(load_checkpoint(data))
    best = payload["best"]
    return {**{k: payload[k] for k in SUMMARY_KEYS}, "best_epoch": best["epoch"], "best_metrics": best["metrics"]}


def network_from_checkpoint(data: bytes | dict[str, Any], *, best: bool = True) -> SetLocalizer:
    """The network of a checkpoint in eval mode: the best weights by val loss unless ``best`` is False."""
    payload = _trained(load_checkpoint(data) if isinstance(data, bytes | bytearray) else data)
    state = payload["best"]["model_state"] if best else payload["model_state"]
    if state is None:
        raise InvalidInput("the checkpoint has no evaluated weights yet (no epoch completed)")
    network = build_network(TrainingConfig.from_dict(payload["config"]).network,
                            ReceiverLayout.from_dict(payload["layout"]),
                            FeatureNormalization.from_dict(payload["normalization"]))
    network.load_state_dict(state)
    return network.eval()


def resume_config(config: TrainingConfig | None, payload: dict[str, Any], fingerprint: str) -> TrainingConfig:
    """The config to continue with: the checkpoint's (``config`` must be None or equal to it).
    IncompatibleCheckpoint for another config, other samples, a finished run or an old schema."""
    saved = TrainingConfig.from_dict(payload["config"])
    if config is not None and config != saved:
        mine, theirs = config.to_dict(), saved.to_dict()
        differ = sorted(k for k in mine if mine[k] != theirs[k])
        raise IncompatibleCheckpoint(f"the config differs from the checkpoint's in: {', '.join(differ)}",
                                     field=differ[0])
    if payload["status"] == "completed":
        raise IncompatibleCheckpoint("the checkpoint is of a completed run; there is nothing to resume")
    if payload["schema_version"] != CHECKPOINT_SCHEMA_VERSION:
        raise IncompatibleCheckpoint(f"a schema_version {payload['schema_version']} checkpoint read its samples "
                                     "in another order and cannot be resumed; start again or warm-start from it")
    if payload["data_fingerprint"] != fingerprint:
        raise IncompatibleCheckpoint("resuming needs exactly the samples the run started with")
    return saved


def restore(run: Trainable, payload: dict[str, Any]) -> None:
    """Put the checkpoint's weights, optimizer, scheduler, position and RNG states back into ``run``."""
    run.model.load_state_dict(payload["model_state"])
    run.optimizer.load_state_dict(payload["optimizer_state"])
    run.scheduler.load_state_dict(payload["scheduler_state"])
    s, best = run.state, payload["best"]
    s.epoch, s.batch_index, s.global_step = (payload["position"][k] for k in ("epoch", "batch_index", "global_step"))
    for key, value in payload["accumulators"].items():
        setattr(s, key, value)
    s.best_val_loss, s.best_epoch, s.best_metrics = best["val_loss"], best["epoch"], best["metrics"]
    s.best_model_state, s.bad_epochs = best["model_state"], best["bad_epochs"]
    s.stopped_early, s.history = payload["stopped_early"], list(payload["history"])
    torch.set_rng_state(payload["rng"]["torch"])
    np.random.set_state(_numpy_rng_state_from(payload["rng"]["numpy"]))
    random.setstate(_python_rng_state_from(payload["rng"]["python"]))


def _numpy_rng_state() -> tuple[str, list[int], int, int, float]:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return (str(name), [int(k) for k in keys], int(pos), int(has_gauss), float(cached))


def _numpy_rng_state_from(saved: Sequence[Any]) -> tuple[Any, ...]:
    name, keys, pos, has_gauss, cached = saved
    return (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached)


def _python_rng_state_from(saved: Sequence[Any]) -> tuple[Any, ...]:
    version, internal, gauss = saved
    return (version, tuple(internal), gauss)
