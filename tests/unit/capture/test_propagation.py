"""Propagation terms of the recordings error model: which sky waves can arrive, how far they move a
correlation peak, the ground wave's secondary delay."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from heimdall.capture.propagation import (
    ground_wave_sigma_s,
    one_hop,
    secondary_delay_s,
    sky_wave_hops,
    sky_wave_sigma_s,
    solar_elevation_deg,
)
from heimdall.geo import SPEED_OF_LIGHT_M_S

BAND_HZ = np.linspace(-3000.0, 3000.0, 128)


def _flat(bandwidth_hz: float) -> np.ndarray:
    return (np.abs(BAND_HZ) <= bandwidth_hz / 2).astype(float)


@pytest.mark.parametrize("distance_km", [60, 120, 180])
def test_no_sky_wave_comes_down_at_29_6_mhz_within_200_km(distance_km: float) -> None:
    """The issue's case: six Kiwis 60-180 km from a 29.6 MHz transmitter. Even the highest F2 and
    sporadic-E critical frequencies (15 MHz) times sec(i) stay under 17 MHz that close."""
    assert sky_wave_hops(29.6e6, distance_km * 1e3, daytime=True) == []


def test_which_layers_return_which_frequencies() -> None:
    assert [h.layer for h in sky_wave_hops(7e6, 100e3, daytime=True)] == ["Es", "F2"]  # NVIS
    assert [h.layer for h in sky_wave_hops(77.5e3, 500e3, daytime=True)] == ["D"]
    assert sky_wave_hops(1e6, 400e3, daytime=True) == []  # medium waves: absorbed by day
    assert [h.layer for h in sky_wave_hops(1e6, 400e3, daytime=False)] == ["E"]
    assert sky_wave_hops(145e6, 900e3, daytime=True) == []
    assert [h.layer for h in sky_wave_hops(29.6e6, 900e3, daytime=True)] == ["Es"]  # a 10 m sporadic-E opening
    assert [h.layer for h in sky_wave_hops(29.6e6, 1500e3, daytime=True)] == ["Es", "F2"]  # and F2 at solar maximum
    # beyond one hop (the ray would leave the ground below the horizon): ~1,890 km for h = 70 km
    assert one_hop(1800e3, 70e3) is not None and one_hop(2000e3, 70e3) is None


def test_one_hop_excess_delay_is_the_flat_earth_value_at_short_range() -> None:
    delay_s, secant = one_hop(100e3, 300e3)
    flat = (2 * np.hypot(50e3, 300e3) - 100e3) / SPEED_OF_LIGHT_M_S
    assert delay_s == pytest.approx(flat, rel=0.01)
    assert secant == pytest.approx(np.hypot(50e3, 300e3) / 300e3, rel=0.01)


def test_an_unresolved_sky_wave_moves_the_peak_by_a_third_of_its_delay() -> None:
    """100 us behind the ground wave, a 500 Hz signal cannot separate them: the peak moves by the
    channel's group delay, whose 68 % half-width is ~0.37 Delta for rho ~ U[0, 1], psi ~ U."""
    assert sky_wave_sigma_s([100e-6], BAND_HZ, _flat(500.0)) == pytest.approx(0.37e-4, rel=0.1)


def test_a_resolved_sky_wave_leaves_the_peak_alone() -> None:
    """The issue's complaint: 600 us of sigma for a sky wave that a 5 kHz signal resolves (and that
    cannot come down there anyway). 1.7 ms behind, 5 kHz resolves it: microseconds at most; 50 Hz
    cannot: a third of it."""
    wide = sky_wave_sigma_s([1.7e-3], BAND_HZ, _flat(5000.0))
    narrow = sky_wave_sigma_s([1.7e-3], BAND_HZ, _flat(50.0))
    assert wide < 2e-6
    assert narrow == pytest.approx(0.37 * 1.7e-3, rel=0.15)
    assert sky_wave_sigma_s([], BAND_HZ, _flat(50.0)) == 0.0


def test_ground_wave_secondary_delay() -> None:
    """Slower than c over land by microseconds at LF over hundreds of km (Loran-C's ASF magnitude),
    next to nothing over sea, growing with distance, and no ground wave term from 3 MHz up."""
    land = secondary_delay_s(77.5e3, np.array([100e3, 500e3, 800e3]), 3e-3, 15.0)
    sea = secondary_delay_s(77.5e3, 500e3, 5.0, 70.0)
    assert np.all(np.diff(land) > 0) and 1e-6 < land[1] < 5e-6
    assert 0 < sea < 0.2e-6
    assert ground_wave_sigma_s(77.5e3, [425e3])[0] == pytest.approx(2.2e-6, rel=0.3)
    assert ground_wave_sigma_s(7e6, [100e3])[0] == 0.0


def test_solar_elevation_tells_day_from_night() -> None:
    noon = datetime(2017, 11, 27, 11, 30, tzinfo=UTC)
    assert 15 < solar_elevation_deg(noon, 50.0, 8.0) < 22  # late November, 50 N: ~19 degrees at noon
    assert solar_elevation_deg(datetime(2017, 11, 27, 23, 30, tzinfo=UTC), 50.0, 8.0) < -40
