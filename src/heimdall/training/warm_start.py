"""Warm starts: a new run on new samples that begins from a parent model's best weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from heimdall.errors import IncompatibleCheckpoint
from heimdall.training.checkpoints import dump_checkpoint, load_checkpoint
from heimdall.training.config import TrainingConfig
from heimdall.training.data import SampleSource
from heimdall.training.loop import TrainingHooks, train


def warm_start_checkpoint(config: TrainingConfig, data: SampleSource | Sequence[Mapping[str, Any]],
                          parent_checkpoint: bytes) -> bytes:
    """A checkpoint at epoch 0, batch 0 of a run of ``config`` on ``data`` holding the parent's best
    weights and its normalisation (fine-tuning keeps the input statistics the weights were learnt with).

    IncompatibleCheckpoint when the parent has another network shape, no trained weights, or was
    trained for another receiver layout.
    """
    parent = load_checkpoint(parent_checkpoint)
    if parent["config"]["network"] != config.network.to_dict():
        raise IncompatibleCheckpoint("the warm-start model has another network shape than this config asks for",
                                     field="network", details={"parent_network": parent["config"]["network"]})
    if parent["best"]["model_state"] is None:
        raise IncompatibleCheckpoint("the warm-start model's checkpoint holds no trained weights",
                                     field="warm_start_model_id")
    # Asked to pause before its first batch, the loop hands back its fully set-up starting state.
    start = load_checkpoint(train(config, data, TrainingHooks(should_pause=lambda: True)).checkpoint)
    if start["layout"] != parent["layout"]:
        raise IncompatibleCheckpoint("the warm-start model was trained for another receiver layout than these "
                                     "datasets", field="warm_start_model_id")
    start["model_state"] = parent["best"]["model_state"]
    start["normalization"] = parent["normalization"]
    return dump_checkpoint(start)
