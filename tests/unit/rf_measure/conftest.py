import numpy as np
import pytest


def band_limited_pair(rng: np.random.Generator, samples: int, sample_rate_hz: float, bandwidth_hz: float,
                      delay_s: float, snr_db: float) -> tuple[np.ndarray, np.ndarray]:
    """The same unit-power band-limited noise signal at a and, ``delay_s`` later, at b, each plus
    independent white noise at ``snr_db`` (over the whole sampled band). The delay is applied in the
    frequency domain, so it may be any fraction of a sample."""
    pad = 512
    size = samples + 2 * pad
    freqs = np.fft.fftfreq(size, d=1.0 / sample_rate_hz)
    spectrum = np.fft.fft(rng.standard_normal(size) + 1j * rng.standard_normal(size)) * (np.abs(freqs) < bandwidth_hz / 2)
    a = np.fft.ifft(spectrum)[pad:pad + samples]
    b = np.fft.ifft(spectrum * np.exp(-2j * np.pi * freqs * delay_s))[pad:pad + samples]
    scale = np.sqrt(np.mean(np.abs(a) ** 2))
    noise = 10 ** (-snr_db / 20) / np.sqrt(2)
    a = a / scale + noise * (rng.standard_normal(samples) + 1j * rng.standard_normal(samples))
    b = b / scale + noise * (rng.standard_normal(samples) + 1j * rng.standard_normal(samples))
    return a, b


@pytest.fixture
def make_pair():
    return band_limited_pair
