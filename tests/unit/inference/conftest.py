import dataclasses
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def trained():
    """A toy fused-modality network, trained once for this folder: (checkpoint bytes, onnx bytes, samples)."""
    import torch

    from heimdall.nn.config import NetworkConfig
    from heimdall.training import TrainingConfig, export_onnx, train
    from heimdall.training.scenario_samples import scenario_samples

    torch.set_num_threads(1)
    config = TrainingConfig.from_yaml(REPO_ROOT / "configs" / "training" / "toy.yaml")
    config = dataclasses.replace(config, epochs=2, network=NetworkConfig(hidden_size=16, attention_heads=2,
                                                                         mixture_components=2))
    samples = scenario_samples("fused", 200, np.random.default_rng(8))
    result = train(config, samples)
    return result.checkpoint, export_onnx(result.checkpoint), samples
