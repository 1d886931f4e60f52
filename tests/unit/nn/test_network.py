import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from heimdall.errors import InvalidInput
from heimdall.nn.config import NetworkConfig
from heimdall.nn.features import CH
from heimdall.nn.network import (
    MetricLocalizer,
    SetLocalizer,
    component_covariances,
    mixture_nll,
    moment_match,
)
from heimdall.nn.normalization import fit_normalization
from heimdall.training.batches import featurize
from heimdall.training.data import MemorySource


@pytest.fixture(scope="module")
def network_and_inputs(fused_samples, all_modality_layout):
    batch = featurize(MemorySource(fused_samples).read(0), all_modality_layout)
    x = batch.features
    norm = fit_normalization(x, batch.targets_en_m)
    torch.manual_seed(0)
    net = SetLocalizer(NetworkConfig(hidden_size=16, attention_heads=2, mixture_components=3), norm).eval()
    return net, torch.from_numpy(x)


def test_output_does_not_depend_on_receiver_order(network_and_inputs):
    net, x = network_and_inputs
    perm = torch.tensor([3, 0, 6, 1, 5, 2, 4])
    with torch.no_grad():
        a, b = net(x), net(x[:, perm])
    for u, v in zip(a, b, strict=False):
        torch.testing.assert_close(u, v, atol=1e-5, rtol=1e-5)


def test_absent_receivers_and_values_are_ignored(network_and_inputs):
    net, x = network_and_inputs
    junk = x.clone()
    absent_toa = junk[..., CH["toa_mask"]] == 0
    junk[..., CH["toa_m"]][absent_toa] = 1e5  # values behind a closed mask
    junk[:, 6, :] = torch.randn(junk.shape[0], junk.shape[2]) * 100
    junk[:, 6, CH["present"]] = 0.0  # rx6 absent, with garbage in its row
    cleaned = x.clone()
    cleaned[:, 6, :] = 0.0
    with torch.no_grad():
        for u, v in zip(net(junk), net(cleaned), strict=False):
            torch.testing.assert_close(u, v, atol=1e-5, rtol=1e-5)
        assert not torch.allclose(net(x)[1], net(cleaned)[1])  # removing rx6 did matter


def test_nll_equals_the_gaussian_mixture_density():
    rng = np.random.default_rng(0)
    n, k = 5, 2
    logits = torch.tensor(rng.normal(size=(n, k)))
    params = (logits.log_softmax(-1), torch.tensor(rng.normal(size=(n, k, 2))),
              torch.tensor(rng.normal(scale=0.5, size=(n, k, 2))), torch.tensor(rng.normal(size=(n, k))))
    target = torch.tensor(rng.normal(size=(n, 2)))
    cov = component_covariances(params[2], params[3]).numpy()
    w = params[0].exp().numpy()
    expected = [
        -math.log(sum(w[i, j] * multivariate_normal(params[1][i, j].numpy(), cov[i, j]).pdf(target[i].numpy())
                      for j in range(k)))
        for i in range(n)
    ]
    np.testing.assert_allclose(mixture_nll(params, target).numpy(), expected, rtol=1e-9)
    # the diagonal of the Cholesky factor is exp(log sigma): a standard deviation, not a variance
    np.testing.assert_allclose(cov[..., 0, 0], np.exp(2 * params[2][..., 0].numpy()))


def test_moment_matching_and_metres(network_and_inputs):
    net, x = network_and_inputs
    with torch.no_grad():
        params = net(x)
        mean, cov = moment_match(params)
        mean_m, cov_m2, weights, means_m, covs_m2 = MetricLocalizer(net)(x)
    w = params[0].exp()
    torch.testing.assert_close(mean, (w[..., None] * params[1]).sum(1))
    assert torch.all(torch.linalg.eigvalsh(cov) > 0)
    scale = net.length_scale_m
    torch.testing.assert_close(mean_m, mean * scale)
    torch.testing.assert_close(cov_m2, cov * scale**2)
    torch.testing.assert_close(weights.sum(-1), torch.ones(len(x)))
    assert means_m.shape == (len(x), 3, 2) and covs_m2.shape == (len(x), 3, 2, 2)


@pytest.mark.parametrize(
    "bad", [{"hidden_size": 0}, {"hidden_size": 30, "attention_heads": 4}, {"dropout": 1.0},
            {"schema_version": 9}, {"mixture_components": 0}, {"colour": "red"}, {"hidden_size": "many"}],
)
def test_bad_network_configs_are_invalid_input(bad):
    with pytest.raises(InvalidInput):
        NetworkConfig.from_dict(bad)
