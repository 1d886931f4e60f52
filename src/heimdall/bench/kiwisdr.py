"""KiwiSDR client speed: frame decoding, and client + fake server on loopback (``python -m heimdall.bench.kiwisdr``).

Prints JSON: microseconds to decode one IQ frame (512 samples, the DCF77 fixture's), and for a fake
KiwiSDR replaying the fixture ``pace`` times faster than real time to one client in the same process,
the frames per second delivered and the CPU seconds spent per second of 12 kHz IQ (both ends).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from heimdall.receivers.kiwisdr.client import IqTuning, KiwiClient, KiwiConnection
from heimdall.receivers.kiwisdr.protocol import GnssStamp, decode_frame, encode_iq_frame
from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay, shared_clock
from heimdall.receivers.simulated.kiwisdr_server import FakeKiwiOptions, FakeKiwiSDR

FIXTURE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "kiwi-dcf77"


def decode_us_per_frame(replay: KiwiReplay, frames: int) -> float:
    encoded = [encode_iq_frame(k + 1, replay.pcm(k % replay.blocks), GnssStamp(3, 100, 5)) for k in range(frames)]
    started = time.perf_counter()
    for frame in encoded:
        decode_frame(frame)
    return (time.perf_counter() - started) / frames * 1e6


async def stream(replay: KiwiReplay, pace: float, frames: int) -> dict[str, float]:
    clock = shared_clock([replay], pace=pace, lead_s=0.0)
    fake = await FakeKiwiSDR(replay, clock, FakeKiwiOptions(name=replay.station)).start()
    try:
        async with KiwiClient(KiwiConnection(fake.url, contact="bench"), IqTuning(77_500)) as client:
            await client.next_block()
            wall, cpu = time.perf_counter(), time.process_time()
            samples = 0
            for _ in range(frames):
                samples += (await client.next_block()).iq.size
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await fake.stop()
    audio_s = samples / replay.true_sample_rate_hz
    return {"pace": pace, "frames": frames, "frames_per_s": frames / wall, "cpu_s_per_iq_s": cpu / audio_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--pace", type=float, default=20.0)
    args = parser.parse_args()
    replay = KiwiReplay(next(iter(sorted(FIXTURE.glob("*_iq.wav")))))
    result = {"decode_us_per_frame": decode_us_per_frame(replay, 5000),
              "loopback": asyncio.run(stream(replay, args.pace, args.frames))}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
