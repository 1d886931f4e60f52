"""From pressing start to the fix: three fake KiwiSDRs replaying the DCF77 fixture at the real pace
(``python -m heimdall.bench.capture_latency [--duration 10] [--quick]``).

The clock starts where a capture job starts recording (``record_network``: status pages, connections,
waiting for fresh GNSS time, the window, hanging up) and stops when the fix exists (SigMF written,
trust checks, the recordings pipeline, two-pass locate), exactly the job's path without the database.
Prints JSON: seconds from start to the window's start, to the last recording, to the fix, the overhead
beyond the recording time (the target: <= 2 s), and the fix's distance from DCF77.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from heimdall.capture.trust import trusted_measurement_set
from heimdall.geo import geodetic_to_enu
from heimdall.locate import locate, parse_measurement_set
from heimdall.receivers.kiwisdr.network_recorder import (
    CaptureSpec,
    CaptureTarget,
    ReceiverProgress,
    record_network,
)
from heimdall.receivers.kiwisdr.recording import GnssRecording
from heimdall.receivers.kiwisdr.storage import write_recording_sigmf
from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay, shared_clock
from heimdall.receivers.simulated.kiwisdr_server import FakeKiwiOptions, FakeKiwiSDR

FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "kiwi-dcf77"
DCF77 = (50.0156, 9.0114)
FILE_OFFSET_S = 10.0  # start past the files' first seconds (docs/captures.md)


async def start_to_fix(duration_s: float = 10.0) -> dict[str, Any]:
    stations = {r["id"]: r for r in json.loads((FIXTURE / "receivers.json").read_text())["receivers"]}
    replays = [KiwiReplay(p) for p in sorted(FIXTURE.glob("*_iq.wav"))]
    clock = shared_clock(replays, lead_s=-FILE_OFFSET_S)
    fakes = [await FakeKiwiSDR(r, clock, FakeKiwiOptions(name=r.station, lat=stations[r.station]["lat"],
                                                         lon=stations[r.station]["lon"])).start() for r in replays]
    try:
        targets = [CaptureTarget(f.options.name, f.options.name, f.url, (f.options.lat, f.options.lon, 0.0))
                   for f in fakes]
        return await _timed(targets, duration_s)
    finally:
        for fake in fakes:
            await fake.stop()


async def _timed(targets: list[CaptureTarget], duration_s: float) -> dict[str, Any]:
    def ignore(_progress: ReceiverProgress) -> None:
        return None

    started_ns = time.time_ns()
    outcomes = await record_network(targets, CaptureSpec(77_500, 10_000, duration_s), ignore)
    recorded_ns = time.time_ns()
    recordings = [o for o in outcomes.values() if isinstance(o, GnssRecording)]
    if len(recordings) < 3:
        raise RuntimeError(f"only {len(recordings)} recordings: {outcomes}")
    with tempfile.TemporaryDirectory() as folder:
        paths = {r.receiver_id: write_recording_sigmf(r, Path(folder)) for r in recordings}
        trusted = trusted_measurement_set(paths, {})
        assert trusted.measurement_set is not None, trusted.reason
        result = locate(parse_measurement_set(trusted.measurement_set))
    fixed_ns = time.time_ns()
    east, north, _ = geodetic_to_enu(DCF77[0], DCF77[1], 0.0, result.lat, result.lon, 0.0)
    window_ns = recordings[0].window.start_utc_ns
    return {"receivers": len(recordings), "duration_s": duration_s,
            "start_to_window_s": round((window_ns - started_ns) / 1e9, 3),
            "start_to_recorded_s": round((recorded_ns - started_ns) / 1e9, 3),
            "start_to_fix_s": round((fixed_ns - started_ns) / 1e9, 3),
            "overhead_s": round((fixed_ns - started_ns) / 1e9 - duration_s, 3),
            "locate_s": round((fixed_ns - recorded_ns) / 1e9, 3),
            "miss_km": round(float(np.hypot(east, north)) / 1e3, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds recorded (default 10)")
    parser.add_argument("--quick", action="store_true", help="a 4 s window")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(start_to_fix(4.0 if args.quick else args.duration))))


if __name__ == "__main__":
    main()
