import dataclasses

import numpy as np
import pytest
import torch

from heimdall.errors import InvalidInput
from heimdall.nn.config import NETWORK_SCHEMA_VERSION, NetworkConfig
from heimdall.nn.layout import layout_from_receivers
from heimdall.nn.network import LOG_SIGMA_MAX, LOG_SIGMA_MIN, SetLocalizer, component_covariances
from heimdall.nn.normalization import fit_normalization
from heimdall.nn.refine import PhysicsRefiner
from heimdall.training.batches import featurize
from heimdall.training.data import MemorySource
from heimdall.training.scenario_samples import scenario_samples

SCALE_M = 15_000.0
BOUNDS = (LOG_SIGMA_MIN, LOG_SIGMA_MAX)


def _problem(name: str, n: int, start_error_m: float, seed: int = 1):
    samples = scenario_samples(name, n, np.random.default_rng(seed))
    data = MemorySource(samples).read(0)
    layout = layout_from_receivers(data.measurements.receivers, ("toa", "tdoa"))
    batch = featurize(data, layout)
    truth_m = batch.targets_en_m
    start_m = truth_m + np.random.default_rng(seed + 1).normal(0.0, start_error_m, truth_m.shape)
    params = (
        torch.zeros(n, 1, dtype=torch.float32),
        torch.tensor(start_m / SCALE_M, dtype=torch.float32)[:, None, :],
        torch.full((n, 1, 2), float(np.log(start_error_m / SCALE_M)), dtype=torch.float32),
        torch.zeros(n, 1, dtype=torch.float32),
    )
    return torch.from_numpy(batch.features), params, truth_m, layout


@pytest.mark.parametrize("name", ["toa-voice-20db", "tdoa-pairs"])
def test_a_km_off_start_is_refined_to_the_timing_precision(name):
    raw, params, truth_m, layout = _problem(name, 300, 1500.0)
    refiner = PhysicsRefiner(5, source_up_m=-layout.centre_alt_m)
    with torch.no_grad():
        _, mean, log_sigma, offdiag = refiner(raw, torch.tensor(SCALE_M), params, BOUNDS)
    error = mean[:, 0].double().numpy() * SCALE_M - truth_m
    assert np.median(np.linalg.norm(error, axis=1)) < 80.0  # the start was 1.5 km off; the CRLB is ~30-60 m
    cov_m2 = component_covariances(log_sigma, offdiag)[:, 0].double().numpy() * SCALE_M**2
    d2 = np.einsum("ni,nij,nj->n", error, np.linalg.inv(cov_m2), error)
    assert 0.55 < np.mean(d2 <= 2.2789) < 0.8  # the Fisher covariance is honest: ~68 % inside the 68 % ellipse


def test_a_wrong_basin_loses_its_mixture_weight():
    raw, params, _, layout = _problem("toa-voice-20db", 100, 300.0)
    _, mean, log_sigma, offdiag = params
    far = mean + torch.tensor([0.0, 60_000.0 / SCALE_M])  # a start outside the receiver disc, far from truth
    mixture = (torch.full((100, 2), float(np.log(0.5))), torch.cat([mean, far], dim=1),
               log_sigma.repeat(1, 2, 1), offdiag.repeat(1, 2))
    with torch.no_grad():
        weights = PhysicsRefiner(5, -layout.centre_alt_m)(raw, torch.tensor(SCALE_M), mixture, BOUNDS)[0].exp()
    assert np.median(weights[:, 0].numpy()) > 0.99


def test_sets_without_timing_keep_the_head_unchanged_and_gradients_flow(all_modality_layout):
    samples = scenario_samples("rss-8db", 16, np.random.default_rng(4)) + scenario_samples(
        "toa-voice-20db", 16, np.random.default_rng(5), id_prefix="t")
    batch = featurize(MemorySource(samples).read(0), all_modality_layout)
    x = batch.features
    norm = fit_normalization(x, batch.targets_en_m)
    torch.manual_seed(0)
    net = SetLocalizer(NetworkConfig(hidden_size=16, attention_heads=2, mixture_components=2), norm)
    coarse, refined = net.coarse_and_refined(torch.from_numpy(x))
    for c, r in zip(coarse, refined, strict=True):
        torch.testing.assert_close(r[:16], c[:16], rtol=0, atol=0)  # RSS only: the head's answer
    assert not torch.allclose(refined[1][16:], coarse[1][16:])  # TOA: moved by the physics
    refined[1].sum().backward()
    assert net.out.weight.grad is not None and torch.all(torch.isfinite(net.out.weight.grad))
    assert float(net.out.weight.grad.abs().sum()) > 0.0


def test_refine_steps_config_versions():
    assert NETWORK_SCHEMA_VERSION == 2 and NetworkConfig().refine_steps > 0
    old = NetworkConfig.from_dict({"schema_version": 1, "hidden_size": 16, "attention_heads": 2})
    assert old.refine_steps == 0 and old.schema_version == NETWORK_SCHEMA_VERSION
    assert NetworkConfig.from_dict(old.to_dict()) == old
    with pytest.raises(InvalidInput, match="refine_steps"):
        NetworkConfig.from_dict({"schema_version": 1, "refine_steps": 3})
    for bad in (-1, 21, 2.5, True):
        with pytest.raises(InvalidInput, match="refine_steps"):
            dataclasses.replace(NetworkConfig(), refine_steps=bad)


def test_a_version_1_network_has_no_refiner(fused_samples, all_modality_layout):
    batch = featurize(MemorySource(fused_samples).read(0), all_modality_layout)
    x = batch.features
    norm = fit_normalization(x, batch.targets_en_m)
    old = NetworkConfig.from_dict({"schema_version": 1, "hidden_size": 16, "attention_heads": 2})
    net = SetLocalizer(old, norm)
    assert net.refiner is None and not any(k.startswith("refiner") for k in net.state_dict())
    coarse, refined = net.coarse_and_refined(torch.from_numpy(x))
    assert coarse is refined
