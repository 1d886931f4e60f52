"""A fake KrakenSDR station on loopback: the DSP's output files served over real HTTP, as the
station's data-out server (port 8081) serves its ``_share`` folder, driven by a callback.

    async with FakeKrakenServer(lambda t_s: KrakenSample(bearing_deg=40 + t_s, lat_deg=45.0, lon_deg=7.5)) as server:
        poller = KrakenPoller(server.url, KrakenStation("kraken-1"))

Every ``update_interval_s`` the fake asks ``source(t_s)`` (``t_s`` seconds after it started) for the
true bearing to the transmitter and the station's position and heading, or None while the channel
is below the squelch (the DSP then writes nothing). It builds the 360-bin pseudo-spectrum the DSP
would (a Gaussian peak of ``peak_width_deg`` on a floor), takes its peak as theta and its
peak-to-average ratio as the confidence, exactly as ``kraken_sdr_signal_processor.py`` does, and
writes ``DOA_value.html`` (Kraken App CSV, or Kerberos XML) and ``doa.xml`` in the DSP's formats.
Faults are options of :class:`FakeKrakenOptions`; stopping publication leaves the last files served.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import NDArray
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from heimdall.receivers.simulated.lifecycle import FakeServer


@dataclass(frozen=True)
class KrakenSample:
    bearing_deg: float  # true bearing from the station to the transmitter
    lat_deg: float
    lon_deg: float
    heading_deg: float = 0.0  # azimuth of the array's reference direction (a vehicle's track when mobile)
    peak_width_deg: float = 4.0  # standard deviation of the pseudo-spectrum's peak
    power_db: float = -40.0  # the channel's maximum amplitude on the DSP's dB scale
    speed_m_s: float = 0.0


KrakenSource = Callable[[float], KrakenSample | None]
_GARBAGE = ("1700000000000, 12.0, oops", "<DATA><DOA>12</DOA>", "Hello, world", "<html><body>404</body></html>")


@dataclass(frozen=True)
class FakeKrakenOptions:
    station_id: str = "FAKE-KRAKEN"
    frequency_hz: int = 433_600_000
    document: str = "kraken_app"  # what DOA_value.html holds: "kraken_app" or "kerberos"
    update_interval_s: float = 0.5
    spectrum_floor: float = 0.02  # linear, relative to the peak
    legacy_ccw: bool = False  # a Kraken App line as before July 2024: theta, not 360 - theta
    gnss_fix: bool = True  # False: 0, 0 and heading 0 published, as the DSP does without a fix
    stop_publishing_after_s: float | None = None  # the DSP stops; the web server keeps serving
    drop_after_s: float | None = None  # the whole station goes off the network
    malformed_every: int = 0  # every Nth update writes garbage
    out_of_order_every: int = 0  # every Nth update is stamped 5 s in the past
    nan_every: int = 0  # every Nth update publishes a NaN bearing
    adc_overdrive: bool = False


class FakeKrakenServer(FakeServer):
    def __init__(self, source: KrakenSource, options: FakeKrakenOptions | None = None, *,
                 clock: Callable[[], float] = time.time, port: int = 0) -> None:
        self.source = source
        self.port = port  # 0: any free port (tests); a fixed one for demos
        self.options = options or FakeKrakenOptions()
        self.clock = clock
        self.started_at_s = clock()
        self.files: dict[str, str] = {"DOA_value.html": "", "doa.xml": ""}
        self.updates = 0
        self.requests = 0
        self._server: Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._port: int | None = None

    async def start(self) -> Self:
        self._server = await serve(self._refuse_websocket, "127.0.0.1", self.port, process_request=self._http)
        self._port = next(iter(self._server.sockets)).getsockname()[1]
        self.started_at_s = self.clock()
        self._task = asyncio.create_task(self._publish())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_server()


    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("the fake server was never started")
        return f"http://127.0.0.1:{self._port}/"

    async def _close_server(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    # -- HTTP -------------------------------------------------------------------------------------
    def _http(self, connection: ServerConnection, request: Request) -> Response:
        self.requests += 1
        name = request.path.lstrip("/").split("?")[0]
        if name == "settings.json":
            return _response(connection, json.dumps(self.settings()), "application/json")
        if name not in self.files:
            return connection.respond(404, "File not found\n")
        return _response(connection, self.files[name], "text/html" if name.endswith(".html") else "text/xml")

    @staticmethod
    async def _refuse_websocket(connection: ServerConnection) -> None:
        await connection.close()

    def settings(self) -> dict[str, object]:
        """The DSP's settings.json, in part (what a user could read to register the station)."""
        return {"station_id": self.options.station_id, "center_freq": self.options.frequency_hz / 1e6,
                "doa_method": "MUSIC", "ant_arrangement": "UCA", "location_source": "gpsd",
                "doa_data_format": "Kerberos App" if self.options.document == "kerberos" else "Kraken App"}

    # -- the simulated DSP ------------------------------------------------------------------------
    async def _publish(self) -> None:
        options = self.options
        while True:
            await asyncio.sleep(options.update_interval_s)
            now_s = self.clock()  # the frame's time: the sample and its stamp belong to the same instant
            t_s = now_s - self.started_at_s
            if options.drop_after_s is not None and t_s >= options.drop_after_s:
                await self._close_server()
                return
            if options.stop_publishing_after_s is not None and t_s >= options.stop_publishing_after_s:
                continue
            sample = self.source(t_s)
            if sample is not None:
                self._write(sample, now_s)

    def _write(self, sample: KrakenSample, now_s: float) -> None:
        options = self.options
        self.updates += 1
        n = self.updates
        if options.malformed_every and n % options.malformed_every == 0:
            garbage = _GARBAGE[(n // options.malformed_every) % len(_GARBAGE)]
            self.files = {"DOA_value.html": garbage, "doa.xml": garbage}
            return
        time_ms = int(now_s * 1000) - (5000 if options.out_of_order_every and n % options.out_of_order_every == 0
                                              else 0)
        theta, confidence, spectrum_db = dsp_spectrum(sample, options.spectrum_floor)
        if options.nan_every and n % options.nan_every == 0:
            theta = math.nan
        lat, lon, heading = ((sample.lat_deg, sample.lon_deg, sample.heading_deg) if options.gnss_fix
                             else (0.0, 0.0, 0.0))
        if options.document == "kerberos":
            self.files["DOA_value.html"] = self._kerberos(theta, confidence, sample.power_db)
        else:
            self.files["DOA_value.html"] = self._kraken_app(time_ms, theta, confidence, sample.power_db, lat, lon,
                                                            heading, spectrum_db)
        self.files["doa.xml"] = self._doa_xml(time_ms, theta, confidence, sample, lat, lon, heading)

    def _kraken_app(self, time_ms: int, theta: float, confidence: float, power_db: float, lat: float, lon: float,
                    heading: float, spectrum_db: NDArray[np.float64]) -> str:
        bearing = theta if self.options.legacy_ccw else 360 - theta
        line = (f"{time_ms}, {bearing}, {confidence}, {power_db}, {self.options.frequency_hz}, UCA, 100, "
                f"{self.options.station_id}, {lat}, {lon}, {heading}, {heading}, GPS, R, R, R, R")
        return line + "".join(f", {value:.2f}" for value in spectrum_db) + " \n"

    @staticmethod
    def _kerberos(theta: float, confidence: float, power_db: float) -> str:
        doa = "nan" if math.isnan(theta) else str(int(360 - theta))
        return (f"<DATA>\n<DOA>{doa}</DOA>\n<CONF>{int(float(f'{confidence:.2f}') * 100)}</CONF>\n"
                f"<PWR>{max(-100.0, power_db + 100):.1f}</PWR>\n</DATA>")

    def _doa_xml(self, time_ms: int, theta: float, confidence: float, sample: KrakenSample, lat: float, lon: float,
                 heading: float) -> str:
        options = self.options
        fields = {
            "STATION_ID": options.station_id, "TIME": time_ms, "GPS_TIME": time_ms if options.gnss_fix else 0,
            "FREQUENCY": options.frequency_hz / 1e6,
            "LOCATION": f"<LATITUDE>{lat}</LATITUDE><LONGITUDE>{lon}</LONGITUDE><HEADING>{heading}</HEADING>"
                        f"<SPEED>{sample.speed_m_s}</SPEED>",
            "DOA": theta, "PWR": f"{max(-100.0, sample.power_db + 100):.1f}",
            "CONF": int(float(f"{confidence:.2f}") * 100), "LATENCY": 100, "PROCESSING_TIME": 20,
            "ADC_OVERDRIVE": 1 if options.adc_overdrive else 0, "NUM_CORRELATED_SOURCES": 1, "SNR_DB": 20.0,
        }
        return "<DATA>" + "".join(f"<{tag}>{value}</{tag}>" for tag, value in fields.items()) + "</DATA>"


def dsp_spectrum(sample: KrakenSample, floor: float) -> tuple[float, float, NDArray[np.float64]]:
    """theta (the DSP's counter-clockwise angle: its spectrum's peak bin), the confidence (dB) and the
    spectrum as the Kraken App line carries it (dB above its minimum), for a peak at the true bearing."""
    theta_true = (sample.heading_deg - sample.bearing_deg) % 360.0  # true = heading + 360 - theta
    bins = np.arange(360.0)
    offset = (bins - theta_true + 180.0) % 360.0 - 180.0
    linear = floor + np.exp(-0.5 * (offset / sample.peak_width_deg) ** 2)
    confidence = float(10 * np.log10(linear.max() / linear.mean()))
    log_db = np.maximum(10 * np.log10(linear / linear.max()), -100.0)
    return float(bins[np.argmax(linear)]), confidence, log_db + abs(log_db.min())


def _response(connection: ServerConnection, body: str, content_type: str) -> Response:
    response = connection.respond(200, body)
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = content_type
    return response
