"""Recordings -> measurement set: alignment on GNSS time, delays, sigmas, error paths."""

from __future__ import annotations

import json

import numpy as np
import pytest

from heimdall.capture.alignment import CommonGrid, TimedIQ, resample_onto
from heimdall.capture.recordings import analyse_recordings, measurement_set_from_recordings
from heimdall.errors import InvalidInput
from heimdall.formats.sigmf_io import write_sigmf


def _receivers(path) -> dict:
    return {r["id"]: r for r in json.loads(path.read_text())["receivers"]}


def test_delays_recovered_across_different_clock_rates(scene, true_tdoa) -> None:
    paths, receivers_path = scene
    analysis = analyse_recordings(paths, _receivers(receivers_path))
    doc = analysis.measurement_set()
    assert doc["frequency_hz"] == 145_500_000 and len(doc["tdoa"]) == 3
    for entry in doc["tdoa"]:
        truth = true_tdoa(entry["receiver"], entry["reference"])
        assert entry["tdoa_s"] == pytest.approx(truth, abs=300e-9)  # 1/300 of a sample
        assert entry["sigma_s"] > abs(entry["tdoa_s"] - truth)
    rates = [r["true_sample_rate_hz"] for r in analysis.diagnostics()["receivers"]]
    assert rates[0] < rates[1] < rates[2]  # 0.15 Hz apart, as written
    assert analysis.diagnostics()["overlap_s"] > 2.5


def test_sigmf_and_kiwi_recordings_mix(scene, tmp_path, true_tdoa, receiver_positions) -> None:
    paths, receivers_path = scene
    receivers = _receivers(receivers_path)
    first = analyse_recordings(paths, receivers).recordings[0]
    meta = write_sigmf(tmp_path / "rxa", first.timed.iq, sample_rate_hz=first.timed.sample_rate_hz,
                       frequency_hz=first.timed.frequency_hz, start_utc_ns=first.timed.start_utc_ns,
                       receiver_id="RXA", lat=receiver_positions["RXA"][0], lon=receiver_positions["RXA"][1], alt_m=0.0)
    doc = measurement_set_from_recordings([meta, *paths[1:]], {k: v for k, v in receivers.items() if k != "RXA"})
    entry = doc["tdoa"][0]
    assert entry["tdoa_s"] == pytest.approx(true_tdoa(entry["receiver"], entry["reference"]), abs=300e-9)


def test_non_overlapping_recordings_are_rejected(tmp_path, scene_factory) -> None:
    paths, receivers_path = scene_factory(tmp_path, start_offsets_s={"RXB": 100.0})
    with pytest.raises(InvalidInput, match="recordings do not overlap in time"):
        analyse_recordings(paths, _receivers(receivers_path))


def test_unknown_receiver_and_duplicates_are_rejected(scene) -> None:
    paths, receivers_path = scene
    receivers = _receivers(receivers_path)
    del receivers["RXC"]
    with pytest.raises(InvalidInput, match="'RXC'.*no position"):
        analyse_recordings(paths, receivers)
    with pytest.raises(InvalidInput, match="same receiver"):
        analyse_recordings([paths[0], paths[0]], _receivers(receivers_path))
    with pytest.raises(InvalidInput, match="at least two"):
        analyse_recordings(paths[:1], _receivers(receivers_path))


def test_resampling_is_band_limited_and_accurate() -> None:
    rate_hz = 12000.0
    t = np.arange(60_000) / rate_hz
    tone = np.exp(2j * np.pi * 2500.0 * t).astype(np.complex64)
    grid = CommonGrid(start_utc_ns=12_345_678, sample_rate_hz=rate_hz * (1 + 3e-5), num_samples=50_000)
    out = resample_onto(TimedIQ("x", tone, 0, rate_hz, 1e6), grid)
    grid_t = 12_345_678e-9 + np.arange(grid.num_samples) / grid.sample_rate_hz
    assert np.max(np.abs(out - np.exp(2j * np.pi * 2500.0 * grid_t))) < 1e-3
