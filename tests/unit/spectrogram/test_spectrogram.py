"""heimdall.rf.spectrogram: axes, tone position and level, noise level, error paths."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.rf.spectrogram import FLOOR_DB, spectrogram

RATE_HZ = 50_000.0


def tone(frequency_hz: float, n: int, amplitude: float = 1.0) -> np.ndarray:
    t = np.arange(n) / RATE_HZ
    return (amplitude * np.exp(2j * np.pi * frequency_hz * t)).astype(np.complex64)


def test_axes_shapes_and_spacing():
    result = spectrogram(tone(1000.0, 4096), RATE_HZ, nfft=256)
    assert result.hop == 128
    assert result.power_db.shape == (1 + (4096 - 256) // 128, 256)
    assert result.frequency_hz[0] == pytest.approx(-RATE_HZ / 2)
    assert np.allclose(np.diff(result.frequency_hz), RATE_HZ / 256)
    assert np.allclose(np.diff(result.time_s), 128 / RATE_HZ)
    assert result.time_s[0] == pytest.approx(128 / RATE_HZ)


def test_tone_lands_in_its_bin_with_the_expected_level():
    bin_hz = RATE_HZ / 256
    frequency_hz = -37 * bin_hz  # on a bin centre, negative offset
    result = spectrogram(tone(frequency_hz, 8192, amplitude=0.1), RATE_HZ, nfft=256)
    peak = np.argmax(result.power_db, axis=1)
    assert np.all(result.frequency_hz[peak] == pytest.approx(frequency_hz))
    expected_db = 10 * np.log10(0.1**2 * 2 * 256 / 3)
    assert np.allclose(result.power_db[np.arange(len(peak)), peak], expected_db, atol=0.01)


def test_white_noise_reads_its_power_per_bin():
    rng = np.random.default_rng(7)
    power = 1e-4
    noise = np.sqrt(power / 2) * (rng.standard_normal(200_000) + 1j * rng.standard_normal(200_000))
    result = spectrogram(noise, RATE_HZ, nfft=128)
    mean_linear = np.mean(10 ** (result.power_db / 10))
    assert 10 * np.log10(mean_linear) == pytest.approx(10 * np.log10(power), abs=0.1)


def test_short_capture_is_one_padded_frame_and_silence_is_floored():
    result = spectrogram(np.zeros(100, dtype=np.complex64), RATE_HZ, nfft=256, start_time_s=2.0)
    assert result.power_db.shape == (1, 256)
    assert np.all(result.power_db == FLOOR_DB)
    assert result.time_s[0] == pytest.approx(2.0 + 128 / RATE_HZ)
    payload = result.to_dict()
    assert set(payload) == {"nfft", "hop", "sample_rate_hz", "time_s", "frequency_hz", "power_db"}
    assert len(payload["power_db"][0]) == 256


def test_custom_hop():
    result = spectrogram(tone(0.0, 1024), RATE_HZ, nfft=64, hop=64)
    assert result.power_db.shape == (16, 64)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"nfft": 100}, "nfft"),
        ({"nfft": 4}, "nfft"),
        ({"nfft": 8192}, "nfft"),
        ({"hop": 0}, "hop"),
        ({"hop": 300}, "hop"),
        ({"sample_rate_hz": 0.0}, "sample_rate_hz"),
        ({"sample_rate_hz": float("nan")}, "sample_rate_hz"),
    ],
)
def test_bad_parameters(kwargs, field):
    args = {"sample_rate_hz": RATE_HZ, "nfft": 256, **kwargs}
    with pytest.raises(InvalidInput) as info:
        spectrogram(tone(0.0, 1024), **args)
    assert info.value.to_dict()["error"]["details"]["field"] == field


@pytest.mark.parametrize("iq", [np.zeros(0, dtype=np.complex64), np.zeros((2, 64), dtype=np.complex64),
                                np.array([1 + 1j, np.nan], dtype=np.complex64)])
def test_bad_capture(iq):
    with pytest.raises(InvalidInput):
        spectrogram(iq, RATE_HZ, nfft=8)
