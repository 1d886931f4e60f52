"""A recording as SigMF: only inside the directory given, never overwriting, read back on its GNSS time."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from sigmf.validate import validate

from heimdall.capture.loading import load_recording
from heimdall.errors import InvalidInput
from heimdall.formats.gnss_time import NS_PER_S, SECONDS_PER_WEEK, utc_ns_to_gps_ns
from heimdall.receivers.kiwisdr.client import IqBlock
from heimdall.receivers.kiwisdr.protocol import GnssStamp
from heimdall.receivers.kiwisdr.recording import GnssRecording, RecordingWindow, SequenceGap, build_recording
from heimdall.receivers.kiwisdr.storage import safe_file_part, write_recording_sigmf

START_UTC_NS = 1_709_640_000 * NS_PER_S
RATE_HZ = 12001.2


def _recording(receiver_id: str) -> GnssRecording:
    t0 = utc_ns_to_gps_ns(START_UTC_NS)
    blocks = []
    for k in range(40):
        index = k * 512 + (512 if k >= 20 else 0)  # one frame lost after the 20th
        gps = t0 + round(index / RATE_HZ * NS_PER_S)
        seconds, nanos = divmod(gps % (SECONDS_PER_WEEK * NS_PER_S), NS_PER_S)
        iq = np.full(512, 0.25 + 0.5j, np.complex64)
        blocks.append((IqBlock(k + 1 + (k >= 20), GnssStamp(2, seconds, nanos), iq, -70.0, False, 0), gps, index, True))
    return build_recording(receiver_id=receiver_id, frequency_hz=77_500.0, window=RecordingWindow(START_UTC_NS, 1.0),
                           blocks=blocks, gaps=[SequenceGap(20 * 512, 1, 512)], announced_sample_rate_hz=12001.0,
                           nominal_sample_rate_hz=12000.0, position=(50.0, 8.0, 100.0))


def test_a_hostile_receiver_name_cannot_steer_the_path(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    meta = write_recording_sigmf(_recording("../../etc/passwd\\..\x00 name"), data_dir)
    assert meta.parent == data_dir.resolve() and sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert meta.name == "20240305T120000Z_77500_etc_passwd_._name.sigmf-meta"
    assert safe_file_part("...") == "receiver" and len(safe_file_part("x" * 500)) == 64


def test_nothing_is_overwritten(tmp_path: Path) -> None:
    first = write_recording_sigmf(_recording("DF0KL"), tmp_path)
    before = first.read_bytes()
    second = write_recording_sigmf(_recording("DF0KL"), tmp_path)
    assert second.name.endswith("_DF0KL_2.sigmf-meta") and first.read_bytes() == before
    with pytest.raises(InvalidInput, match="not a directory"):
        write_recording_sigmf(_recording("DF0KL"), tmp_path / "missing")


def test_written_recording_validates_and_loads_on_its_gnss_time(tmp_path: Path) -> None:
    recording = _recording("DF0KL")
    meta = write_recording_sigmf(recording, tmp_path)
    doc = json.loads(meta.read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate(doc)
    assert doc["annotations"] == [{"core:sample_start": 10240, "core:sample_count": 512,
                                   "core:comment": "1 frames lost on the way: zeros"}]
    assert doc["global"]["heimdall:announced_sample_rate"] == 12001.0
    assert doc["global"]["heimdall:nominal_sample_rate"] == 12000.0
    loaded = load_recording(meta)
    assert loaded.timed.receiver_id == "DF0KL" and loaded.position == {"lat": 50.0, "lon": 8.0, "alt_m": 100.0}
    assert loaded.timed.sample_rate_hz == pytest.approx(RATE_HZ, abs=1e-3)
    assert abs(loaded.timed.start_utc_ns - START_UTC_NS) <= 2
    np.testing.assert_array_equal(loaded.timed.iq, recording.iq)  # ci16 holds these samples exactly
    assert np.all(loaded.timed.iq[10240:10752] == 0)
