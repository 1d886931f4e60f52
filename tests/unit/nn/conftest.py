import numpy as np
import pytest

from heimdall.bench.scenarios import SCENARIOS
from heimdall.locate import parse_measurement_set
from heimdall.nn.layout import layout_from_measurement_sets
from heimdall.training.scenario_samples import scenario_samples


@pytest.fixture(scope="module")
def fused_samples():
    return scenario_samples("fused", 64, np.random.default_rng(11))


@pytest.fixture(scope="module")
def all_modality_layout():
    """A layout that knows every modality (union over the scenarios)."""
    rng = np.random.default_rng(3)
    sets = [parse_measurement_set(s["measurement_set"]) for name in SCENARIOS for s in scenario_samples(name, 2, rng)]
    return layout_from_measurement_sets(sets)
