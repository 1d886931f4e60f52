"""Synthetic simultaneous recordings with known arrival times, and the real DCF77 fixture."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from heimdall.formats.kiwi import kiwi_file_name, write_kiwi_wav
from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef

REPO_ROOT = Path(__file__).resolve().parents[3]
DCF77_DIR = REPO_ROOT / "tests" / "fixtures" / "kiwi-dcf77"
START_UTC = datetime(2024, 3, 5, 12, 0, 0, tzinfo=UTC)
GPS_SOW_AT_START = 2 * 86400 + 12 * 3600 + 18.0  # Tuesday 12:00:00 UTC = 12:00:18 GPS
TRANSMITTER = (45.03, 7.46)
RECEIVERS = {"RXA": (45.0, 7.5), "RXB": (45.3, 7.2), "RXC": (44.75, 7.1)}
FREQUENCY_HZ = 145_500_000


def _signal(times_s: np.ndarray, rng_seed: int = 99) -> np.ndarray:
    """A band-limited test signal (150 tones within +-1.5 kHz) defined at any instant."""
    rng = np.random.default_rng(rng_seed)
    freqs = rng.uniform(-1500.0, 1500.0, 150)
    phases = rng.uniform(0, 2 * np.pi, 150)
    out = np.zeros(times_s.size, complex)
    for f, p in zip(freqs, phases, strict=True):
        out += np.exp(1j * (2 * np.pi * f * times_s + p))
    return 0.3 * out / np.sqrt(150)


def write_scene(folder: Path, *, duration_s: float = 3.0, start_offsets_s: dict | None = None,
                seed: int = 1) -> tuple[list[Path], Path]:
    """One Kiwi file per receiver (different clock rates and start times) and a receivers.json."""
    rng = np.random.default_rng(seed)
    tx = geodetic_to_ecef(*TRANSMITTER, 0.0)
    paths = []
    for index, (station, (lat, lon)) in enumerate(RECEIVERS.items()):
        arrival_s = np.linalg.norm(geodetic_to_ecef(lat, lon, 0.0) - tx) / SPEED_OF_LIGHT_M_S
        rate_hz = 12001.0 + 0.15 * (index - 1) + 0.02 * rng.standard_normal()
        t0_s = 0.05 * index + (start_offsets_s or {}).get(station, 0.0)
        n = np.arange(round(duration_s * rate_hz) // 512 * 512)
        times = t0_s + n / rate_hz - arrival_s
        iq = _signal(times) + 0.01 * (rng.standard_normal(n.size) + 1j * rng.standard_normal(n.size))
        paths.append(write_kiwi_wav(folder / kiwi_file_name(START_UTC, FREQUENCY_HZ, station), iq,
                                    nominal_sample_rate_hz=12001, true_sample_rate_hz=rate_hz,
                                    t0_gps_s=GPS_SOW_AT_START + t0_s))
    receivers_path = folder / "receivers.json"
    receivers_path.write_text(json.dumps({"receivers": [
        {"id": sid, "lat": lat, "lon": lon, "alt_m": 0.0} for sid, (lat, lon) in RECEIVERS.items()]}))
    return paths, receivers_path


def true_tdoa_s(receiver: str, reference: str) -> float:
    tx = geodetic_to_ecef(*TRANSMITTER, 0.0)

    def arrival(station: str) -> float:
        return float(np.linalg.norm(geodetic_to_ecef(*RECEIVERS[station], 0.0) - tx) / SPEED_OF_LIGHT_M_S)

    return arrival(receiver) - arrival(reference)


@pytest.fixture
def scene(tmp_path: Path) -> tuple[list[Path], Path]:
    return write_scene(tmp_path)


@pytest.fixture
def dcf77_dir() -> Path:
    if not DCF77_DIR.is_dir():
        pytest.fail(f"the DCF77 fixture is missing: {DCF77_DIR}")
    return DCF77_DIR


@pytest.fixture
def scene_factory():
    """``write_scene`` itself (pytest's importlib mode does not let tests import conftest)."""
    return write_scene


@pytest.fixture
def true_tdoa():
    return true_tdoa_s


@pytest.fixture
def receiver_positions() -> dict:
    return dict(RECEIVERS)
