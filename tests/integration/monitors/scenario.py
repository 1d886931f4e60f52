"""A transmitter keying on and off while it drives east past a mixed network: three KrakenSDR
stations (bearings) and two OpenWebRX receivers (S-meter power), each a fake server on loopback
driven by the same truth, all run by one background event loop (the monitor's job runs in a worker
process; the test polls the API)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from heimdall.geo import bearing_deg, geodetic_to_ecef, slant_distance_m
from heimdall.receivers.simulated.kraken_server import FakeKrakenOptions, FakeKrakenServer, KrakenSample
from heimdall.receivers.simulated.openwebrx_server import FakeOpenWebRxOptions, FakeOpenWebRxServer
from heimdall.rf.propagation.log_distance import received_power_dbm

FREQUENCY_HZ = 145_500_000
EIRP_DBM = 37.0
ON_S, PERIOD_S = 2.0, 5.0  # keyed for 2 s every 5 s
START = (45.00, 7.46)
SPEED_M_S = 15.0  # east
KRAKENS = {"kraken-n": (45.06, 7.50), "kraken-sw": (44.95, 7.42), "kraken-se": (44.96, 7.56)}
OPENWEBRX = {"owrx-w": ((45.02, 7.38), -25.0), "owrx-e": ((45.03, 7.60), -30.0)}  # position, dBm at 0 dBFS
METRES_PER_DEG_LON = 78_850.0  # at 45 degrees north


@dataclass
class Scenario:
    """The truth: where the transmitter is and whether it is keyed, ``t`` seconds after ``t0``."""

    t0: float = field(default_factory=time.time)
    owrx_drop_after_s: float | None = None

    def position(self, now_s: float) -> tuple[float, float]:
        return START[0], START[1] + SPEED_M_S * (now_s - self.t0) / METRES_PER_DEG_LON

    def keyed(self, now_s: float) -> bool:
        return (now_s - self.t0) % PERIOD_S < ON_S

    def over_of(self, time_s: float) -> int:
        """The index of the over a detection starting at ``time_s`` belongs to."""
        return int((time_s - self.t0 + 1.0) // PERIOD_S)

    def received_dbm(self, receiver: tuple[float, float], now_s: float) -> float:
        distance = slant_distance_m(geodetic_to_ecef(*receiver, 10.0), geodetic_to_ecef(*self.position(now_s), 2.0))
        return float(received_power_dbm(EIRP_DBM, distance, FREQUENCY_HZ))

    def owrx_source(self, name: str) -> Callable[[float], float | None]:
        position, offset_db = OPENWEBRX[name]
        return lambda _t: (self.received_dbm(position, time.time()) - offset_db) if self.keyed(time.time()) else None

    def kraken_source(self, name: str) -> Callable[[float], KrakenSample | None]:
        lat, lon = KRAKENS[name]

        def sample(_t: float) -> KrakenSample | None:
            now_s = time.time()
            if not self.keyed(now_s):
                return None  # below the station's squelch: the DSP writes nothing
            return KrakenSample(float(bearing_deg(lat, lon, 0.0, *self.position(now_s), 0.0)), lat, lon, 30.0)

        return sample


class FakeNetwork:
    """The fakes on a loop in a background thread; ``urls`` by receiver name."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-receivers", daemon=True)
        self.servers: dict[str, Any] = {}

    def __enter__(self) -> Self:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)

    async def _start(self) -> None:
        fast = {"smeter_interval_s": 0.1, "fft_interval_s": 0.1, "signal_frequency_hz": FREQUENCY_HZ}
        for name in OPENWEBRX:
            drop = self.scenario.owrx_drop_after_s if name == "owrx-e" else None
            options = FakeOpenWebRxOptions(name=name, drop_after_s=drop, **fast)  # type: ignore[arg-type]
            self.servers[name] = await FakeOpenWebRxServer(self.scenario.owrx_source(name), options).start()
        for name in KRAKENS:
            options = FakeKrakenOptions(station_id=name, frequency_hz=FREQUENCY_HZ, update_interval_s=0.2)
            self.servers[name] = await FakeKrakenServer(self.scenario.kraken_source(name), options).start()

    async def _stop(self) -> None:
        for server in self.servers.values():
            await server.stop()

    def receiver_fields(self) -> list[dict[str, Any]]:
        fields = [{"name": name, "kind": "kraken", "url": self.servers[name].url, "lat": lat, "lon": lon}
                  for name, (lat, lon) in KRAKENS.items()]
        fields += [{"name": name, "kind": "openwebrx", "url": self.servers[name].url, "lat": pos[0], "lon": pos[1]}
                   for name, (pos, _offset) in OPENWEBRX.items()]
        return fields
