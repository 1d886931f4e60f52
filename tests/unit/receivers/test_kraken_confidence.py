"""Confidence (the pseudo-spectrum's peak-to-average ratio, dB) to bearing sigma."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.kraken.confidence import ConfidenceModel


def papr_db(spectrum: np.ndarray) -> float:
    """calculate_doa_papr of the KrakenSDR DSP."""
    return float(10 * np.log10(np.max(spectrum) / np.mean(spectrum)))


@pytest.mark.parametrize("width_deg", [2.0, 5.0, 12.0, 25.0])
def test_a_clean_gaussian_peak_gives_its_own_width_back(width_deg: float) -> None:
    offset = (np.arange(360.0) - 123.0 + 180) % 360 - 180
    confidence = papr_db(np.exp(-0.5 * (offset / width_deg) ** 2))
    assert ConfidenceModel().spectrum_sigma_deg(confidence) == pytest.approx(width_deg, rel=0.02)


def test_a_floor_under_the_peak_widens_sigma() -> None:
    offset = (np.arange(360.0) - 40.0 + 180) % 360 - 180
    peak = np.exp(-0.5 * (offset / 5.0) ** 2)
    assert ConfidenceModel().spectrum_sigma_deg(papr_db(peak + 0.05)) > 2 * ConfidenceModel().spectrum_sigma_deg(papr_db(peak))


def test_formula_values() -> None:
    model = ConfidenceModel(floor_deg=3.0, max_sigma_deg=60.0)
    assert model.spectrum_sigma_deg(10.0) == pytest.approx(36.0 / math.sqrt(2 * math.pi))
    assert model.spectrum_sigma_deg(-3.0) == pytest.approx(360.0 / math.sqrt(2 * math.pi))  # clamped at 0 dB
    sigma, capped = model.sigma_deg(15.0, heading_sigma_deg=2.0)
    assert sigma == pytest.approx(math.sqrt(model.spectrum_sigma_deg(15.0) ** 2 + 9 + 4)) and not capped
    assert model.sigma_deg(25.6)[0] == pytest.approx(3.0, abs=0.05)  # one bin: the floor is all that is left


def test_monotonic_and_capped() -> None:
    model = ConfidenceModel()
    sigmas = [model.sigma_deg(c)[0] for c in np.linspace(0.0, 26.0, 53)]
    assert all(a >= b for a, b in itertools.pairwise(sigmas))
    assert model.sigma_deg(2.0) == (60.0, True)
    assert model.sigma_deg(None) == (pytest.approx(math.hypot(15.0, 3.0)), False)


def test_a_fitted_scale_shrinks_only_the_spectral_part() -> None:
    fitted = ConfidenceModel(spectral_scale=0.5)
    assert fitted.spectrum_sigma_deg(12.0) == pytest.approx(0.5 * ConfidenceModel().spectrum_sigma_deg(12.0))
    assert fitted.sigma_deg(30.0)[0] == pytest.approx(3.0, abs=0.01)  # the floor stays


def test_validation() -> None:
    for bad in [{"floor_deg": -1.0}, {"max_sigma_deg": 0.0}, {"unknown_confidence_sigma_deg": math.nan},
                {"spectral_scale": -0.5}]:
        with pytest.raises(InvalidInput):
            ConfidenceModel(**bad)  # type: ignore[arg-type]
