"""Recovery over many seeds, on the simulator's own datasets: five known-source captures of a
network whose receivers carry systematic offsets (timing 2 us, gain 6 dB, bearing 5 deg, normal,
each receiver its own), and the true offset inside the reported 95 % interval >= 90 % of the time."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.calibrate import BEARING, GAIN, QUANTITIES, TIMING, calibrate
from heimdall.calibrate.simulated import injected_offsets, references_from_batch
from heimdall.synth import generate

SEEDS = 40
SYSTEMATIC = {TIMING: {"sigma": 2e-6}, GAIN: {"sigma": 6.0}, BEARING: {"sigma": 5.0}}


def _z_scores(time_measurement: str, known_eirp: bool) -> dict[str, np.ndarray]:
    z: dict[str, list[float]] = {q: [] for q in QUANTITIES}
    for seed in range(SEEDS):
        config = {"seed": 1000 + seed, "num_samples": 5, "observation": {"time_measurement": time_measurement},
                  "impairments": {"systematic": SYSTEMATIC}}
        batch = next(generate(config))
        calibration = calibrate(references_from_batch(batch, known_eirp=known_eirp))
        truth = injected_offsets(batch.meta)
        for quantity, cal in calibration.offsets.items():
            z[quantity].extend((cal.offset - cal.in_gauge(truth[quantity])) / cal.sigma)
    return {q: np.asarray(v) for q, v in z.items()}


@pytest.mark.parametrize(("time_measurement", "known_eirp"), [("toa", False), ("tdoa", True)])
def test_true_offsets_lie_in_their_intervals(time_measurement, known_eirp):
    for quantity, z in _z_scores(time_measurement, known_eirp).items():
        assert z.size == SEEDS * 7, quantity
        within_95 = np.mean(np.abs(z) <= 1.96)
        within_68 = np.mean(np.abs(z) <= 1.0)
        assert within_95 >= 0.90, (quantity, within_95)
        # and the intervals are not padded until nothing can fall outside them
        assert within_95 <= 0.99 and 0.60 <= within_68 <= 0.80, (quantity, within_68, within_95)
