"""GNSS timing and sample-rate terms from a recording's own block stamps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from heimdall.capture.timing_errors import (
    GNSS_FIX_SIGMA_S,
    StampQuality,
    gnss_sigma_s,
    pairwise_sigmas_s,
    sample_rate_sigma_s,
)
from heimdall.formats.kiwi import read_kiwi_stamps, read_kiwi_wav

FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "kiwi-dcf77"


def test_the_dcf77_files_stamps_show_a_fix_every_five_seconds() -> None:
    path = next(FIXTURE.glob("*_DF0KL_iq.wav"))
    recording = read_kiwi_wav(path)
    assert recording.timing is not None
    quality = StampQuality.of_kiwi(read_kiwi_stamps(path), recording.sample_rate_hz, recording.timing.residual_rms_s)
    assert 5 <= quality.fixes <= 7 and quality.max_solution_age_s == 5
    assert quality.stamp_span_s == pytest.approx(29.2, abs=0.3)
    assert quality.residual_rms_s == pytest.approx(75e-9, rel=0.05)  # jumps of ~110 ns at each fix
    # fix accuracy, the stamps' scatter over ~6 fixes, 5 s of clock drift at 1e-8
    assert gnss_sigma_s(quality) == pytest.approx(np.sqrt(100e-9**2 + 75e-9**2 / quality.fixes + 50e-9**2), rel=0.02)


def test_without_stamps_only_the_fix_accuracy_remains() -> None:
    assert gnss_sigma_s(StampQuality()) == pytest.approx(GNSS_FIX_SIGMA_S)
    assert sample_rate_sigma_s(StampQuality(), 5.0) == 0.0


def test_a_rate_error_matters_away_from_the_stamps_centre() -> None:
    quality = StampQuality(residual_rms_s=100e-9, fixes=3, stamp_span_s=10.0, stamp_centre_s=5.0)
    assert sample_rate_sigma_s(quality, 5.0) == 0.0
    slope = 100e-9 * np.sqrt(12 / 3) / 10.0
    assert sample_rate_sigma_s(quality, 8.0) == pytest.approx(3.0 * slope)


def test_all_pair_sigmas_carry_the_information_of_per_receiver_errors() -> None:
    sigma = np.array([1.0, 2.0, 3.0, 1.5])
    pair = pairwise_sigmas_s(sigma)
    geometry = np.random.default_rng(0).standard_normal((4, 2))  # d arrival / d position, any
    weights = 1 / sigma**2
    projector = np.diag(weights) - np.outer(weights, weights) / weights.sum()  # emission time removed
    exact = geometry.T @ projector @ geometry
    pairs = sum(np.outer(geometry[i] - geometry[j], geometry[i] - geometry[j]) / pair[i, j] ** 2
                for i in range(4) for j in range(i + 1, 4))
    np.testing.assert_allclose(pairs, exact, rtol=1e-12)
