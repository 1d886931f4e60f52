from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="module")
def tiny_rss_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny network trained for 2 epochs on 300 ``rss-8db`` samples (G7 ids), as an ONNX file."""
    pytest.importorskip("torch")
    from heimdall.nn.config import NetworkConfig
    from heimdall.training import TrainingConfig, export_onnx, train
    from heimdall.training.scenario_samples import scenario_samples

    samples = scenario_samples("rss-8db", 300, np.random.default_rng(11))
    config = TrainingConfig(seed=3, epochs=2, batch_size=64, val_fraction=0.2, early_stopping_patience=None,
                            network=NetworkConfig(hidden_size=16, encoder_layers=1, attention_blocks=1,
                                                  attention_heads=2, head_layers=1, mixture_components=1))
    result = train(config, samples)
    path = tmp_path_factory.mktemp("onnx") / "tiny-rss.onnx"
    path.write_bytes(export_onnx(result.checkpoint))
    return path
