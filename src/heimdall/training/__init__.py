"""Training the neural localizer (needs the ``train`` extra: torch, onnx).

Public surface, imported lazily so that ``heimdall.training.config`` stays torch-free:
``train``, ``TrainingHooks``, ``TrainingResult``, ``TrainingDiverged``, ``TrainingConfig``,
``load_checkpoint``, ``checkpoint_summary``, ``network_from_checkpoint``, ``export_onnx``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "train": "heimdall.training.loop",
    "TrainingHooks": "heimdall.training.loop",
    "TrainingResult": "heimdall.training.loop",
    "TrainingDiverged": "heimdall.training.loop",
    "load_checkpoint": "heimdall.training.loop",
    "checkpoint_summary": "heimdall.training.loop",
    "network_from_checkpoint": "heimdall.training.loop",
    "split_by_id": "heimdall.training.data",
    "TrainingConfig": "heimdall.training.config",
    "export_onnx": "heimdall.training.export",
}

__all__ = [
    "TrainingConfig", "TrainingDiverged", "TrainingHooks", "TrainingResult", "checkpoint_summary", "export_onnx",
    "load_checkpoint", "network_from_checkpoint", "split_by_id", "train",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'heimdall.training' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
