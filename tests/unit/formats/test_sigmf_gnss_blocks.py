"""SigMF with per-block GNSS time: written, validated, read back, and used to time the samples."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from sigmf.validate import validate

from heimdall.capture.loading import load_recording
from heimdall.errors import InvalidInput
from heimdall.formats.gnss_blocks import GnssBlocks
from heimdall.formats.gnss_time import NS_PER_S, gps_ns_to_utc_ns, utc_ns_to_gps_ns
from heimdall.formats.sigmf_io import read_sigmf, write_sigmf

START_UTC_NS = 1_709_640_000_123_456_789  # 2024-03-05 12:00:00.123456789 UTC
TRUE_RATE_HZ = 12001.2019


def _blocks(count: int = 40, jitter_ns: float = 20.0) -> GnssBlocks:
    rng = np.random.default_rng(11)
    index = np.arange(count, dtype=np.int64) * 512
    offsets = np.round(index / TRUE_RATE_HZ * NS_PER_S + jitter_ns * rng.standard_normal(count)).astype(np.int64)
    return GnssBlocks(index, utc_ns_to_gps_ns(START_UTC_NS) + offsets, np.full(count, 3, np.uint8))


def _write(tmp_path: Path, blocks: GnssBlocks, **overrides: object) -> Path:
    iq = (0.1 * np.exp(2j * np.pi * 0.02 * np.arange(int(blocks.sample_index[-1]) + 512))).astype(np.complex64)
    fields: dict[str, object] = {
        "sample_rate_hz": 12000.0, "frequency_hz": 77_500.0, "start_utc_ns": START_UTC_NS - 5 * NS_PER_S,
        "receiver_id": "RX1", "lat": 50.0, "lon": 8.0, "alt_m": 100.0, "datatype": "ci16_le", "gnss_blocks": blocks,
        "nominal_sample_rate_hz": 12000.0, "extra_global": {"heimdall:announced_sample_rate": 12001.0},
        "annotations": [{"core:sample_start": 1024, "core:sample_count": 512, "core:comment": "lost frames"}],
    }
    fields.update(overrides)
    return write_sigmf(tmp_path / "rx1", iq, **fields)


def test_gnss_blocks_validate_and_round_trip_exactly(tmp_path: Path) -> None:
    blocks = _blocks()
    meta_path = _write(tmp_path, blocks)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate(json.loads(meta_path.read_text()))
    rec = read_sigmf(meta_path)
    assert rec.gnss_blocks is not None and rec.nominal_sample_rate_hz == 12000.0
    np.testing.assert_array_equal(rec.gnss_blocks.sample_index, blocks.sample_index)
    np.testing.assert_array_equal(rec.gnss_blocks.gps_ns, blocks.gps_ns)  # integers: exact to the nanosecond
    np.testing.assert_array_equal(rec.gnss_blocks.solution, blocks.solution)
    doc = json.loads(meta_path.read_text())
    assert doc["global"]["heimdall:announced_sample_rate"] == 12001.0 and doc["annotations"][0]["core:sample_count"] == 512


def test_loading_times_samples_by_the_per_block_stamps_not_core_fields(tmp_path: Path) -> None:
    loaded = load_recording(_write(tmp_path, _blocks()))  # core:sample_rate and core:datetime deliberately off
    assert loaded.timed.sample_rate_hz == pytest.approx(TRUE_RATE_HZ, abs=1e-3)
    assert abs(loaded.timed.start_utc_ns - START_UTC_NS) < 50
    assert loaded.timing_residual_rms_s is not None and 10e-9 < loaded.timing_residual_rms_s < 30e-9
    assert loaded.nominal_sample_rate_hz == 12000.0 and loaded.position == {"lat": 50.0, "lon": 8.0, "alt_m": 100.0}


def test_gps_utc_conversions_are_inverse_and_count_leap_seconds() -> None:
    assert gps_ns_to_utc_ns(utc_ns_to_gps_ns(START_UTC_NS)) == START_UTC_NS
    gps_epoch_unix_ns = 315_964_800 * NS_PER_S
    assert utc_ns_to_gps_ns(START_UTC_NS) == START_UTC_NS - gps_epoch_unix_ns + 18 * NS_PER_S


@pytest.mark.parametrize("bad", [
    {"sample_index": [0, 512], "gps_ns": [1, 2, 3], "solution": [0, 0]},
    {"sample_index": [512, 0, 1024], "gps_ns": [1, 2, 3], "solution": [0, 0, 0]},
    {"sample_index": [0, 512, 1024], "gps_ns": [1, 2, 3.5], "solution": [0, 0, 0]},
    {"sample_index": [0, 512, 1024], "gps_ns": [1, 2, 3], "solution": [0, 0, 300]},
    {"sample_index": [0, 512, 1024], "gps_ns": [1, 2, 10**30], "solution": [0, 0, 0]},
    {"sample_index": [0, 512], "gps_ns": [1, 2]},
    [1, 2, 3],
])
def test_malformed_gnss_blocks_are_invalid_input(tmp_path: Path, bad: object) -> None:
    meta_path = _write(tmp_path, _blocks())
    doc = json.loads(meta_path.read_text())
    doc["global"]["heimdall:gnss_blocks"] = bad
    meta_path.write_text(json.dumps(doc))
    with pytest.raises(InvalidInput, match="malformed SigMF metadata"):
        load_recording(meta_path)


def test_too_few_usable_stamps_cannot_time_a_recording(tmp_path: Path) -> None:
    blocks = _blocks(6)
    unusable = GnssBlocks(blocks.sample_index, blocks.gps_ns, np.array([3, 255, 255, 254, 253, 3], np.uint8))
    with pytest.raises(InvalidInput, match="fewer than three usable GNSS stamps"):
        load_recording(_write(tmp_path, unusable))
    with pytest.raises(InvalidInput, match="new heimdall: key"):
        _write(tmp_path / "x", blocks, extra_global={"core:author": "me"})
