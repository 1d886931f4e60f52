from pathlib import Path

import numpy as np
import pytest
import torch

from heimdall.training.config import TrainingConfig
from heimdall.training.scenario_samples import scenario_samples

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    # The CI machine is shared; one thread also keeps float reductions in one fixed order.
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def samples():
    return scenario_samples("rss-8db", 240, np.random.default_rng(21))


@pytest.fixture(scope="module")
def toy_config():
    return TrainingConfig.from_yaml(REPO_ROOT / "configs" / "training" / "toy.yaml")


@pytest.fixture(scope="module")
def aoa_samples():
    """Bearings carry enough information for a toy network to improve visibly within a few epochs."""
    return scenario_samples("aoa-3deg", 240, np.random.default_rng(22))
