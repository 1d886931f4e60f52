"""Three fake KiwiSDRs replay the DCF77 fixture at the real pace; three clients record the same 8 s of
GNSS time; the SigMF files they write locate DCF77 where the original Kiwi WAVs (cut to the same
blocks) do. This is the real-pace end-to-end test (about 10 s), with every GNSS check of the recorder on.
"""

from __future__ import annotations

import asyncio
import json
import struct
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from heimdall.capture.recordings import analyse_recordings
from heimdall.formats.gnss_time import NS_PER_S
from heimdall.formats.kiwi import kiwi_file_name
from heimdall.geo import geodetic_to_enu
from heimdall.locate import locate, parse_measurement_set
from heimdall.receivers.kiwisdr.client import IqTuning, KiwiConnection
from heimdall.receivers.kiwisdr.recorder import record_gnss_window
from heimdall.receivers.kiwisdr.recording import GnssRecording, RecordingWindow
from heimdall.receivers.kiwisdr.status import fetch_status, receiver_info
from heimdall.receivers.kiwisdr.storage import write_recording_sigmf
from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay, ReplayClock, shared_clock
from heimdall.receivers.simulated.kiwisdr_server import FakeKiwiOptions, FakeKiwiSDR

pytestmark = pytest.mark.slow

DCF77_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "kiwi-dcf77"
WINDOW_S = 8.0


def _fix(paths: list[Path], receivers: dict[str, dict] | None) -> tuple[float, float, dict]:
    """Position as ``heimdall locate`` computes it from recordings (locate, then again at the estimate)."""
    analysis = analyse_recordings(paths, receivers)
    first = locate(parse_measurement_set(analysis.measurement_set()))
    result = locate(parse_measurement_set(analysis.measurement_set((first.lat, first.lon))))
    return result.lat, result.lon, analysis.diagnostics((result.lat, result.lon))


def _kiwi_subset(replay: KiwiReplay, blocks: list[int], clock: ReplayClock, folder: Path) -> Path:
    """The blocks the fake sent (samples and stamps as sent) as a Kiwi IQ WAV, as kiwirecorder writes one.

    The stamps are the file's own moved to the replay's GNSS time, and the file is named by that time: the
    error model depends on the time of day (the sky wave at night), so both files must carry the same epoch.
    """
    body = bytearray()
    for block in blocks:
        seconds, nanos = clock.shifted_stamp(int(replay.block_stamp_ns[block]))
        data = replay.pcm(block).astype("<i2").tobytes()
        body += b"kiwi" + struct.pack("<IBBII", 10, int(replay.block_solution[block]), 0, seconds, nanos)
        body += b"data" + struct.pack("<I", len(data)) + data
    rate = int(replay.nominal_sample_rate_hz)
    fmt = struct.pack("<HHIIHH", 1, 2, rate, rate * 4, 4, 16)
    content = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + bytes(body)
    file_utc = datetime.fromtimestamp(clock.start_utc_ns / NS_PER_S, tz=UTC)
    path = folder / kiwi_file_name(file_utc, replay.frequency_hz, replay.station)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(content)) + content)
    return path


async def _capture(fakes: list[FakeKiwiSDR], window: RecordingWindow) -> list[GnssRecording]:
    async def one(fake: FakeKiwiSDR) -> GnssRecording:
        info = receiver_info(await fetch_status(fake.url), fake.url)
        assert info.lat is not None and info.lon is not None and info.timing == "gnss"
        return await record_gnss_window(KiwiConnection(fake.url, contact="ops@example.org"), IqTuning(77_500), window,
                                        receiver_id=info.name, position=(info.lat, info.lon, info.alt_m or 0.0))

    return list(await asyncio.gather(*(one(fake) for fake in fakes)))


async def test_three_simultaneous_recordings_locate_dcf77_as_the_kiwi_files_do(tmp_path: Path) -> None:
    receivers = {r["id"]: r for r in json.loads((DCF77_DIR / "receivers.json").read_text())["receivers"]}
    replays = [KiwiReplay(p) for p in sorted(DCF77_DIR.glob("*_iq.wav"))]
    clock = shared_clock(replays, lead_s=0.3)
    fakes = [FakeKiwiSDR(r, clock, FakeKiwiOptions(name=r.station, lat=receivers[r.station]["lat"],
                                                   lon=receivers[r.station]["lon"], stale_first_frames=2))
             for r in replays]
    for fake in fakes:
        await fake.start()
    try:
        window = RecordingWindow(clock.start_utc_ns + round(1.5 * NS_PER_S), WINDOW_S)
        recordings = await _capture(fakes, window)
    finally:
        for fake in fakes:
            await fake.stop()
    sigmf_dir, wav_dir = tmp_path / "sigmf", tmp_path / "wav"
    sigmf_dir.mkdir()
    wav_dir.mkdir()
    sigmf_paths = [write_recording_sigmf(rec, sigmf_dir) for rec in recordings]
    wav_paths = []
    for fake, rec in zip(fakes, recordings, strict=True):
        assert rec.gaps == () and fake.sessions[0].violations == [] and fake.sessions[0].ended is None
        assert rec.sample_rate_hz == pytest.approx(fake.replay.true_sample_rate_hz, abs=0.01)
        sent = fake.sessions[0].file_blocks_sent
        wav_paths.append(_kiwi_subset(fake.replay, [sent[int(s) - 1] for s in rec.block_sequence], clock, wav_dir))
    starts = [rec.start_utc_ns for rec in recordings]
    assert max(starts) - min(starts) < 0.05 * NS_PER_S  # one simultaneous window, to within a frame

    lat_s, lon_s, diag_s = _fix(sigmf_paths, None)  # positions from the SigMF files themselves
    lat_w, lon_w, diag_w = _fix(wav_paths, receivers)
    east, north, _ = geodetic_to_enu(lat_s, lon_s, 0.0, lat_w, lon_w, 0.0)
    print(f"\nSigMF fix {lat_s:.4f} N {lon_s:.4f} E; Kiwi WAV fix {lat_w:.4f} N {lon_w:.4f} E; "
          f"{np.hypot(east, north):.1f} m apart; overlap {diag_s['overlap_s']:.2f} s")
    assert np.hypot(east, north) < 300.0
    for pair_s, pair_w in zip(diag_s["pairs"], diag_w["pairs"], strict=True):
        assert pair_s["delay_s"] == pytest.approx(pair_w["delay_s"], abs=50e-9)
    assert diag_s["overlap_s"] > WINDOW_S - 0.2
    rates = {r["id"]: r["true_sample_rate_hz"] for r in diag_s["receivers"]}
    assert rates["F1JEK"] == pytest.approx(12001.2, abs=0.02)  # neither the announced 12001 nor 12000
