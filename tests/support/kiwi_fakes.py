"""Fake KiwiSDRs replaying the DCF77 fixture at the real pace, served from a background event loop so
that synchronous tests (an httpx client, the CLI) can capture from them (``fake_network`` fixture in
tests/integration/captures/conftest.py)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay, shared_clock
from heimdall.receivers.simulated.kiwisdr_server import FakeKiwiOptions, FakeKiwiSDR

DCF77_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "kiwi-dcf77"
DCF77 = (50.0156, 9.0114)
STATIONS = json.loads((DCF77_DIR / "receivers.json").read_text())["receivers"]


class FakeNetwork:
    """Starts fakes on a loop in a thread; ``start(extra=...)`` -> the fakes (three DCF77 stations, then
    extra ones replaying DF0KL's file with the options given)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fakes: list[FakeKiwiSDR] = []

    def start(self, extra: list[dict[str, Any]] | None = None, *, file_offset_s: float = 10.0,
              **common: Any) -> list[FakeKiwiSDR]:
        """``file_offset_s``: how far into the files the replay is now. The 2017 files' first ~6 s locate
        worse (16-27 km from 6 s windows, against 4.5-6 km from 8 s on), so tests start past them."""
        replays = {s["id"]: KiwiReplay(next(DCF77_DIR.glob(f"*_{s['id']}_iq.wav"))) for s in STATIONS}
        clock = shared_clock(list(replays.values()), lead_s=-file_offset_s)
        fakes = [FakeKiwiSDR(replays[s["id"]], clock, FakeKiwiOptions(name=s["id"], lat=s["lat"], lon=s["lon"],
                                                                      **common)) for s in STATIONS]
        base = {"lat": STATIONS[0]["lat"], "lon": STATIONS[0]["lon"]}
        fakes += [FakeKiwiSDR(replays["DF0KL"], clock, FakeKiwiOptions(**{**base, **o})) for o in extra or []]
        for fake in fakes:
            asyncio.run_coroutine_threadsafe(fake.start(), self.loop).result(timeout=30)
        self.fakes += fakes
        return fakes

    def close(self) -> None:
        for fake in self.fakes:
            asyncio.run_coroutine_threadsafe(fake.stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)


def register(platform: Any, fakes: list[FakeKiwiSDR]) -> list[str]:
    """Each fake as a stored KiwiSDR receiver (its options' name and position); their ids."""
    return [platform.receivers.create({"name": f.options.name, "kind": "kiwisdr", "url": f.url,
                                       "lat": f.options.lat, "lon": f.options.lon})["id"] for f in fakes]


Register = Callable[[Any, list[FakeKiwiSDR]], list[str]]
