import dataclasses
import json
import random

import numpy as np
import pytest
import torch

from heimdall.errors import IncompatibleCheckpoint, InvalidInput, TrainingDiverged
from heimdall.nn.config import NetworkConfig
from heimdall.training import (
    FaultPlan,
    TrainingHooks,
    checkpoint_summary,
    load_checkpoint,
    network_from_checkpoint,
    train,
)
from heimdall.training.checkpoints import dump_checkpoint
from heimdall.training.scenario_samples import scenario_samples

METRIC_KEYS = {"epoch", "train_loss", "val_loss", "median_error_m", "p68_error_m", "p95_error_m", "rmse_m",
               "coverage_68", "coverage_95", "nll", "grad_norm", "lr", "samples_per_s"}


def _small(config, **changes):
    return dataclasses.replace(config, **changes)


def test_training_reports_every_hook_and_keeps_the_best_epoch(toy_config, aoa_samples):
    progress, epochs, saved = [], [], []
    hooks = TrainingHooks(on_progress=lambda s, t: progress.append((s, t)),
                          on_epoch=lambda e, m: epochs.append((e, m)), save_checkpoint=saved.append)
    result = train(_small(toy_config, epochs=4, early_stopping_patience=None), aoa_samples, hooks)
    assert result.status == "completed" and result.epochs_completed == 4 and not result.stopped_early
    assert [e for e, _ in epochs] == [1, 2, 3, 4] and len(saved) == 4 and saved[-1] == result.checkpoint
    assert set(epochs[0][1]) >= METRIC_KEYS and all(np.isfinite(m["val_loss"]) for _, m in epochs)
    steps = [s for s, _ in progress]
    assert steps == list(range(1, len(steps) + 1)) and progress[-1][1] == len(steps)
    val_losses = [m["val_loss"] for _, m in epochs]
    assert result.best_epoch == 1 + int(np.argmin(val_losses))
    assert result.best_metrics["val_loss"] == min(val_losses)
    assert val_losses[-1] < val_losses[0]  # it learns something
    payload = load_checkpoint(result.checkpoint)
    assert payload["status"] == "completed"
    best_weights = payload["best"]["model_state"]
    net = network_from_checkpoint(result.checkpoint)
    for name, tensor in net.state_dict().items():
        torch.testing.assert_close(tensor, best_weights[name])


def test_pause_at_a_random_batch_then_resume_ends_with_the_same_weights(toy_config, samples):
    config = _small(toy_config, epochs=3, early_stopping_patience=None, pause_check_every=1,
                    network=NetworkConfig(hidden_size=16, attention_heads=2, dropout=0.1))
    straight = train(config, samples)
    pause_at = random.Random(4).randrange(2, 3 * 4)  # 3 epochs of 3 batches each; a random batch
    asked = []

    def should_pause() -> bool:
        asked.append(1)
        return len(asked) == pause_at

    saved = []
    paused = train(config, samples, TrainingHooks(should_pause=should_pause, save_checkpoint=saved.append))
    assert paused.status == "paused" and saved[-1] == paused.checkpoint
    position = load_checkpoint(paused.checkpoint)["position"]
    assert position["global_step"] == pause_at - 1
    resumed = train(None, samples, resume_from=paused.checkpoint)
    assert resumed.status == "completed"
    final_a = load_checkpoint(straight.checkpoint)
    final_b = load_checkpoint(resumed.checkpoint)
    for name, tensor in final_a["model_state"].items():
        torch.testing.assert_close(final_b["model_state"][name], tensor, atol=1e-6, rtol=1e-5)
    assert [m["train_loss"] for m in resumed.history] == pytest.approx([m["train_loss"] for m in straight.history],
                                                                       rel=1e-5)
    assert final_b["position"] == final_a["position"]


def test_early_stopping_keeps_the_best_weights_not_the_last(toy_config, samples):
    saved = []
    config = _small(toy_config, epochs=6, early_stopping_patience=1, early_stopping_min_delta=1e9)
    result = train(config, samples, TrainingHooks(save_checkpoint=saved.append))
    assert result.stopped_early and result.epochs_completed == 2 and result.best_epoch == 1
    first, last = load_checkpoint(saved[0]), load_checkpoint(saved[-1])
    exported = network_from_checkpoint(result.checkpoint).state_dict()
    for name, tensor in first["model_state"].items():
        torch.testing.assert_close(exported[name], tensor)
    assert any(not torch.equal(exported[n], t) for n, t in last["model_state"].items())


def test_a_nan_loss_stops_with_the_last_good_checkpoint(toy_config, samples):
    saved = []
    with pytest.raises(TrainingDiverged, match="loss") as info:
        train(_small(toy_config, epochs=3), samples, TrainingHooks(save_checkpoint=saved.append),
              faults=FaultPlan(nan_loss_from_epoch=2))
    assert len(saved) == 1 and info.value.last_checkpoint == saved[0]
    assert info.value.details["epoch"] == 2 and info.value.code == "training_diverged"
    assert info.value.http_status == 422
    assert load_checkpoint(info.value.last_checkpoint)["position"]["epoch"] == 1
    with pytest.raises(InvalidInput, match="fault"):
        FaultPlan.from_dict({"nan_loss_from_step": 3})


def test_resume_refuses_other_samples_other_configs_and_garbage(toy_config, samples):
    config = _small(toy_config, epochs=2)
    paused = train(config, samples, TrainingHooks(should_pause=lambda: True))
    assert paused.status == "paused"
    with pytest.raises(IncompatibleCheckpoint, match="samples"):
        train(None, samples[:-1], resume_from=paused.checkpoint)
    with pytest.raises(IncompatibleCheckpoint, match="learning_rate"):
        train(_small(config, learning_rate=0.1), samples, resume_from=paused.checkpoint)
    with pytest.raises(InvalidInput, match="checkpoint"):
        train(None, samples, resume_from=b"not a checkpoint")
    done = train(config, samples)
    with pytest.raises(IncompatibleCheckpoint, match="completed") as info:
        train(None, samples, resume_from=done.checkpoint)
    assert info.value.code == "incompatible_checkpoint"
    old = load_checkpoint(paused.checkpoint)
    old["schema_version"] = 1  # a run of the in-memory loop, which stored its epoch's order
    with pytest.raises(IncompatibleCheckpoint, match="cannot be resumed"):
        train(None, samples, resume_from=dump_checkpoint(old))
    assert checkpoint_summary(dump_checkpoint(old))["schema_version"] == 1  # still readable


def test_checkpoint_summary_is_self_describing_json(toy_config, samples):
    result = train(_small(toy_config, epochs=1), samples)
    summary = checkpoint_summary(result.checkpoint)
    text = json.dumps(summary)
    assert json.loads(text)["config"]["network"]["hidden_size"] == toy_config.network.hidden_size
    assert summary["layout"]["modalities"] == ["rss"] and len(summary["layout"]["receivers"]) == 7
    assert summary["normalization"]["length_scale_m"] > 1000.0 and summary["best_epoch"] == 1


def test_band_metrics_appear_when_samples_carry_gdop_and_snr(toy_config):
    samples = scenario_samples("rss-8db", 120, np.random.default_rng(2))
    for i, s in enumerate(samples):
        s["gdop"] = [1.5, 3.0, 12.0][i % 3]
        s["meta"] = {"snr_db": [5.0, 25.0][i % 2]}
    epochs = []
    train(_small(toy_config, epochs=1), samples, TrainingHooks(on_epoch=lambda e, m: epochs.append(m)))
    metrics = epochs[0]
    assert set(metrics["median_error_m_by_gdop"]) == {"lt2", "2to5", "ge10"}
    assert set(metrics["median_error_m_by_snr"]) == {"lt10db", "ge20db"}
    assert sum(b["n"] for b in metrics["median_error_m_by_snr"].values()) == sum(
        b["n"] for b in metrics["median_error_m_by_gdop"].values())


def test_streamed_shards_train_and_resume_at_a_batch_inside_a_later_window(toy_config):
    """Shards read one at a time, shuffled in windows smaller than the dataset: a pause in the second
    window resumes to the very weights of an uninterrupted run."""
    import hashlib

    from heimdall.synth import ShardRef, generate, load_config, write_shard
    from heimdall.training import ShardSource

    blobs, refs = {}, []
    for batch in generate(load_config({"seed": 8, "num_samples": 320, "network": "g7", "realism": "ideal"}),
                          batch_size=40):
        key = f"shard-{int(batch.sample_id[0])}"
        blobs[key] = write_shard(batch)
        refs.append(ShardRef("d", key, hashlib.sha256(blobs[key]).hexdigest(), int(batch.sample_id[0]), len(batch)))
    source = ShardSource(refs, blobs.__getitem__)
    config = _small(toy_config, epochs=2, batch_size=32, shuffle_buffer_samples=100, early_stopping_patience=None,
                    pause_check_every=1, network=NetworkConfig(hidden_size=16, attention_heads=2, refine_steps=2))
    straight = train(config, source)
    asked = []
    paused = train(config, source, TrainingHooks(should_pause=lambda: asked.append(1) or len(asked) == 6))
    # Batch 5 starts at sample 160: past the first window (about 4 shards, some 130 training samples).
    assert load_checkpoint(paused.checkpoint)["position"]["batch_index"] == 5
    resumed = train(None, source, resume_from=paused.checkpoint)
    final_a, final_b = load_checkpoint(straight.checkpoint), load_checkpoint(resumed.checkpoint)
    for name, tensor in final_a["model_state"].items():
        torch.testing.assert_close(final_b["model_state"][name], tensor, atol=1e-6, rtol=1e-5)
    assert set(final_a["layout"]["modalities"]) == {"rss", "toa", "aoa"}
    assert resumed.history[-1]["val_loss"] == pytest.approx(straight.history[-1]["val_loss"], rel=1e-6)
