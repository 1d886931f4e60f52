"""Versioned training configuration (plain data, no torch); loadable from YAML."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from heimdall.errors import InvalidInput
from heimdall.nn.config import NetworkConfig, dataclass_from_dict

TRAINING_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides a training run, stored with its checkpoints.

    Learning rate: linear warm-up over ``warmup_fraction`` of all steps, then cosine decay to
    ``min_lr_fraction * learning_rate``. Early stopping after ``early_stopping_patience`` epochs
    without a val-loss improvement of at least ``early_stopping_min_delta`` (None: never).
    Data order: shards shuffled per epoch, samples shuffled within windows of at least
    ``shuffle_buffer_samples`` training samples (``heimdall.training.batches``); the window is what
    training holds in memory at once.
    """

    schema_version: int = TRAINING_SCHEMA_VERSION
    seed: int = 0
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    warmup_fraction: float = 0.05
    min_lr_fraction: float = 0.02
    grad_clip_norm: float | None = 1.0
    val_fraction: float = 0.1
    early_stopping_patience: int | None = 8
    early_stopping_min_delta: float = 1e-4
    pause_check_every: int = 4
    eval_batch_size: int = 4096
    shuffle_buffer_samples: int = 65_536
    network: NetworkConfig = field(default_factory=NetworkConfig)

    def __post_init__(self) -> None:
        if self.schema_version != TRAINING_SCHEMA_VERSION:
            raise InvalidInput(f"unsupported training schema_version {self.schema_version}", field="schema_version")
        if isinstance(self.network, dict):
            object.__setattr__(self, "network", NetworkConfig.from_dict(self.network))
        _require(self.epochs >= 1, "epochs", "must be >= 1")
        _require(self.batch_size >= 1, "batch_size", "must be >= 1")
        _require(self.eval_batch_size >= 1, "eval_batch_size", "must be >= 1")
        _require(self.pause_check_every >= 1, "pause_check_every", "must be >= 1")
        _require(self.shuffle_buffer_samples >= 1, "shuffle_buffer_samples", "must be >= 1")
        _require(self.learning_rate > 0, "learning_rate", "must be > 0")
        _require(self.weight_decay >= 0, "weight_decay", "must be >= 0")
        _require(0 <= self.warmup_fraction < 1, "warmup_fraction", "must be in [0, 1)")
        _require(0 <= self.min_lr_fraction <= 1, "min_lr_fraction", "must be in [0, 1]")
        _require(0 < self.val_fraction < 1, "val_fraction", "must be in (0, 1)")
        _require(self.grad_clip_norm is None or self.grad_clip_norm > 0, "grad_clip_norm", "must be > 0 or null")
        _require(
            self.early_stopping_patience is None or self.early_stopping_patience >= 1,
            "early_stopping_patience", "must be >= 1 or null",
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TrainingConfig:
        data = dict(data or {})
        data["network"] = NetworkConfig.from_dict(data.get("network"))
        return dataclass_from_dict(cls, data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainingConfig:
        try:
            data = yaml.safe_load(Path(path).read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInput(f"cannot read training config {path}: {exc}") from exc
        return cls.from_dict(data)


def _require(ok: bool, name: str, what: str) -> None:
    if not ok:
        raise InvalidInput(f"{name} {what}", field=name)
