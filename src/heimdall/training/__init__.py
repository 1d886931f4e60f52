"""Training the neural localizer (needs the ``train`` extra: torch, onnx).

Public surface, imported lazily so that ``heimdall.training.config`` and ``heimdall.training.data``
stay torch-free: ``train``, ``TrainingHooks``, ``TrainingResult``, ``FaultPlan``, ``TrainingConfig``,
``ShardSource``, ``MemorySource``, ``load_checkpoint``, ``checkpoint_summary``, ``start_checkpoint``,
``is_start_checkpoint``,
``network_from_checkpoint``, ``warm_start_checkpoint``, ``export_onnx``; ``TrainingDiverged`` is
``heimdall.errors.TrainingDiverged``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "train": "heimdall.training.loop",
    "TrainingHooks": "heimdall.training.loop",
    "TrainingResult": "heimdall.training.loop",
    "FaultPlan": "heimdall.training.loop",
    "TrainingDiverged": "heimdall.errors",
    "load_checkpoint": "heimdall.training.checkpoints",
    "checkpoint_summary": "heimdall.training.checkpoints",
    "start_checkpoint": "heimdall.training.checkpoints",
    "is_start_checkpoint": "heimdall.training.checkpoints",
    "network_from_checkpoint": "heimdall.training.checkpoints",
    "warm_start_checkpoint": "heimdall.training.warm_start",
    "ShardSource": "heimdall.training.data",
    "MemorySource": "heimdall.training.data",
    "TrainingConfig": "heimdall.training.config",
    "export_onnx": "heimdall.training.export",
}

__all__ = [
    "FaultPlan", "MemorySource", "ShardSource", "TrainingConfig", "TrainingDiverged", "TrainingHooks",
    "TrainingResult", "checkpoint_summary", "export_onnx", "is_start_checkpoint", "load_checkpoint",
    "network_from_checkpoint", "start_checkpoint", "train", "warm_start_checkpoint",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'heimdall.training' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
