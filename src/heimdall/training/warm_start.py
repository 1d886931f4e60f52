"""Warm starts: a parent model's checkpoint as the starting point of a new training run on new samples.

Import this module only where torch is installed (the ``train`` extra): it is never on the serving path.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from heimdall.errors import InvalidInput
from heimdall.training.config import TrainingConfig


def warm_start_checkpoint(config: TrainingConfig, samples: Sequence[Mapping[str, Any]], parent_checkpoint: bytes) -> bytes:
    """A checkpoint at epoch 0, batch 0 of a run of ``config`` on ``samples`` holding the parent's best
    weights and its normalisation (fine-tuning keeps the input statistics the weights were learnt with).

    InvalidInput when the parent has another network shape or was trained for another receiver layout.
    """
    import torch

    from heimdall.training import TrainingHooks, load_checkpoint, train

    parent = load_checkpoint(parent_checkpoint)
    if parent["config"]["network"] != config.network.to_dict():
        raise InvalidInput("the warm-start model has another network shape than this config asks for",
                           field="network", details={"parent_network": parent["config"]["network"]})
    if parent["best"]["model_state"] is None:
        raise InvalidInput("the warm-start model's checkpoint holds no trained weights", field="warm_start_model_id")
    # Asked to pause before its first batch, the loop hands back its fully set-up starting state.
    start = load_checkpoint(train(config, samples, TrainingHooks(should_pause=lambda: True)).checkpoint)
    if start["layout"] != parent["layout"]:
        raise InvalidInput("the warm-start model was trained for another receiver layout than these datasets",
                           field="warm_start_model_id")
    start["model_state"] = parent["best"]["model_state"]
    start["normalization"] = parent["normalization"]
    buffer = io.BytesIO()
    torch.save(start, buffer)
    return buffer.getvalue()
