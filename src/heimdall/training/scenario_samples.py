"""Training samples drawn from the benchmark scenarios (``heimdall.bench.scenarios``, RF_NOTES section 3).

Until datasets come from the simulator, this turns the very trials the classical estimator is judged
on into ``{"sample_id", "truth", "measurement_set"}`` samples, for tests and the neural benchmark.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from heimdall.bench.scenarios import SCENARIOS, TX_ALT_M, draw_trial
from heimdall.errors import InvalidInput


def scenario_samples(name: str, n: int, rng: np.random.Generator, *, id_prefix: str = "s") -> list[dict[str, Any]]:
    """``n`` seeded samples of scenario ``name``; ids are ``<id_prefix><index>``."""
    if name not in SCENARIOS:
        raise InvalidInput(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}", field="scenario")
    samples = []
    for i in range(n):
        measurement_set, lat, lon = draw_trial(name, rng)
        samples.append({
            "sample_id": f"{id_prefix}{i:07d}",
            "truth": {"lat": lat, "lon": lon, "alt_m": TX_ALT_M},
            "measurement_set": measurement_set,
        })
    return samples
