"""The torch side: ONNX exports checked against PyTorch, random check inputs, warm starts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from heimdall.errors import IncompatibleCheckpoint, OnnxExportMismatch
from heimdall.nn.features import CH, FEATURE_CHANNELS, channel_gate_index
from heimdall.training.onnx_check import export_checked_onnx, random_features


def test_random_features_look_like_built_ones(trained):
    from heimdall.training import load_checkpoint

    normalization = load_checkpoint(trained.checkpoint)["normalization"]
    x = random_features(normalization, 7, np.random.default_rng(1), 50)
    assert x.shape == (50, 7, len(FEATURE_CHANNELS)) and x.dtype == np.float32
    assert np.all(x[..., CH["present"]].sum(axis=1) >= 1)
    gates = x[..., list(channel_gate_index())]
    assert np.all(x[gates == 0] == 0) and np.all(np.isin(x[..., CH["rss_mask"]], (0.0, 1.0)))
    assert np.all(x[..., CH["rss_mask"]] <= x[..., CH["present"]])


def test_an_export_that_answers_differently_is_refused(trained, trained_other):
    assert export_checked_onnx(trained.checkpoint)  # the real export passes its own check
    with pytest.raises(OnnxExportMismatch, match="differs") as info:
        export_checked_onnx(trained.checkpoint, export=lambda _checkpoint: trained_other.onnx)
    assert info.value.details["max_mean_difference_m"] > 0 and info.value.http_status == 500


def test_a_warm_start_begins_from_the_parents_best_weights(trained):
    import torch

    from heimdall.nn.config import NetworkConfig
    from heimdall.training import TrainingConfig, load_checkpoint, train, warm_start_checkpoint
    from heimdall.training.scenario_samples import scenario_samples

    parent = load_checkpoint(trained.checkpoint)
    config = dataclasses.replace(TrainingConfig.from_dict(parent["config"]), seed=99, epochs=1)
    samples = scenario_samples("rss-8db", 120, np.random.default_rng(5), id_prefix="new-")
    start = load_checkpoint(warm_start_checkpoint(config, samples, trained.checkpoint))
    assert start["position"] == {"epoch": 0, "batch_index": 0, "global_step": 0}
    assert start["normalization"] == parent["normalization"] and start["config"]["seed"] == 99
    for name, tensor in parent["best"]["model_state"].items():
        torch.testing.assert_close(start["model_state"][name], tensor)
    finished = train(None, samples, resume_from=warm_start_checkpoint(config, samples, trained.checkpoint))
    assert finished.status == "completed" and finished.epochs_completed == 1
    other_shape = dataclasses.replace(config, network=NetworkConfig(hidden_size=8, attention_heads=2))
    with pytest.raises(IncompatibleCheckpoint, match="network shape"):
        warm_start_checkpoint(other_shape, samples, trained.checkpoint)
    elsewhere = scenario_samples("aoa-3deg", 60, np.random.default_rng(6))
    with pytest.raises(IncompatibleCheckpoint, match="layout"):
        warm_start_checkpoint(config, elsewhere, trained.checkpoint)
