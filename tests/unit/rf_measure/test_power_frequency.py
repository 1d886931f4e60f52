"""Power/SNR and frequency offset."""

import numpy as np
import pytest
from scipy import special

from heimdall.errors import InvalidInput
from heimdall.rf.measure import frequency_offset_hz, power_snr, power_snr_rows
from heimdall.rf.measure.power import noise_density

FS_HZ = 12_000.0


def _noise(rng: np.random.Generator, samples: int, power: float) -> np.ndarray:
    return np.sqrt(power / 2) * (rng.standard_normal(samples) + 1j * rng.standard_normal(samples))


def test_tone_in_white_noise() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(48_000) / FS_HZ
    iq = 0.1 * np.exp(2j * np.pi * 500.0 * t) + _noise(rng, t.size, 1e-4)  # -20 dBFS tone, -40 dBFS noise
    full = power_snr(iq, FS_HZ)
    assert full.signal_dbfs == pytest.approx(-20.0, abs=0.2)
    assert full.noise_dbfs == pytest.approx(-40.0, abs=0.3)
    assert full.snr_db == pytest.approx(20.0, abs=0.4)
    assert full.power_dbfs == pytest.approx(10 * np.log10(0.01 + 1e-4), abs=0.1)
    narrow = power_snr(iq, FS_HZ, signal_bandwidth_hz=1200.0)
    assert narrow.noise_dbfs == pytest.approx(-40.0 + 10 * np.log10(1200 / FS_HZ), abs=0.3)
    assert narrow.snr_db == pytest.approx(30.0, abs=0.4)


def test_noise_only_has_low_snr_and_true_floor() -> None:
    estimate = power_snr(_noise(np.random.default_rng(2), 48_000, 1e-3), FS_HZ)
    assert estimate.noise_density_dbfs_hz == pytest.approx(-30.0 - 10 * np.log10(FS_HZ), abs=0.3)
    assert estimate.snr_db < -10.0


def test_power_snr_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput):
        power_snr(np.ones(100), FS_HZ, signal_bandwidth_hz=2 * FS_HZ)
    with pytest.raises(InvalidInput):
        power_snr(np.ones((10, 10)), FS_HZ)


def test_carrier_offset_resolved_below_one_bin() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(24_000) / FS_HZ
    iq = np.exp(2j * np.pi * (-1234.567 * t + 0.3)) * (1 + 0.2 * np.sin(2 * np.pi * 3 * t)) + _noise(rng, t.size, 1e-2)
    assert frequency_offset_hz(iq, FS_HZ) == pytest.approx(-1234.567, abs=0.02)


def test_carrierless_signal_gives_its_centroid() -> None:
    rng = np.random.default_rng(4)
    size = 48_000
    freqs = np.fft.fftfreq(size, 1 / FS_HZ)
    band = (freqs > 1000) & (freqs < 3000)
    iq = np.fft.ifft(np.fft.fft(_noise(rng, size, 1.0)) * band) + _noise(rng, size, 1e-3)
    assert frequency_offset_hz(iq, FS_HZ) == pytest.approx(2000.0, abs=30.0)
    assert frequency_offset_hz(_noise(rng, size, 1.0), FS_HZ) == pytest.approx(0.0, abs=50.0)


def test_power_snr_rows_agrees_with_power_snr_row_by_row() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(6000) / FS_HZ
    rows = np.stack([a * np.exp(2j * np.pi * 300.0 * t) + _noise(rng, t.size, 1e-4) for a in (0.0, 0.01, 0.1)])
    for bandwidth_hz in (None, 1200.0):
        batch = power_snr_rows(rows, FS_HZ, bandwidth_hz)
        for r, row in enumerate(rows):
            single = power_snr(row, FS_HZ, bandwidth_hz)
            assert batch.snr_db[r] == pytest.approx(single.snr_db, abs=1e-9)
            assert batch.signal_dbfs[r] == pytest.approx(single.signal_dbfs, abs=1e-9)
            assert batch.noise_density_dbfs_hz[r] == pytest.approx(single.noise_density_dbfs_hz, abs=1e-9)
            assert batch.bandwidth_hz[r] == pytest.approx(single.bandwidth_hz)
    assert np.all(np.diff(power_snr_rows(rows, FS_HZ).snr_db) > 0)


def test_noise_density_matches_numpy_percentile_of_live_bins() -> None:
    psd = np.random.default_rng(8).exponential(1.0, 513)
    psd[:40] = 1e-9  # a stop band: excluded
    live = psd[40:]
    expected = np.percentile(live, 20.0)
    assert noise_density(psd, 1, 20.0) * (2.0 * special.gammaincinv(1.0, 0.2) / 2) == pytest.approx(expected, rel=1e-12)


def test_power_snr_rows_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput):
        power_snr_rows(np.ones(100), FS_HZ)
    with pytest.raises(InvalidInput):
        power_snr_rows(np.ones((2, 100)), -1.0)
    with pytest.raises(InvalidInput):
        power_snr_rows(np.full((2, 100), np.nan), FS_HZ)
