"""``monitor``: watch a network's receivers until cancelled, one fix per transmission.

    receivers ──adapters──► Watch (detectors, bursts, grouper) ──► measurement set ──► locate
        ──► tracker ──► localization stored (monitor_id, track_id) ──► events, CoT

The loop runs in one asyncio event loop: one task per receiver feeds the watch; every
``TICK_S`` the loop honours pause and cancel (``ctx.check``), completes transmissions, and
publishes levels and receiver changes. Locating runs in a thread so readings keep flowing.

Pause disconnects everything and stops (the transmissions still pending are dropped); resume
starts again from the database: the tracker is rebuilt from the stored fixes (same ids, same
tracks), and transmissions and fixes are keyed deterministically, so nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

from heimdall.errors import InvalidInput
from heimdall.jobs.context import JobContext
from heimdall.jobs.registry import job_kind
from heimdall.receivers.kraken import BearingReading
from heimdall.receivers.openwebrx.client import MIN_RECONNECT_S
from heimdall.services.calibrations.service import CalibrationService
from heimdall.services.localizations import LocalizationService
from heimdall.services.monitors.adapters import (
    STALE_AFTER_S,
    Lamps,
    watch_kiwisdr,
    watch_kraken,
    watch_openwebrx,
)
from heimdall.services.monitors.config import KIND_RANGES_HZ
from heimdall.services.monitors.cot_out import CotOut
from heimdall.services.monitors.store import MonitorStore, to_datetime
from heimdall.services.monitors.tracks import build_tracks, track_to_dict
from heimdall.services.monitors.watch import Watch, WatchedReceiver
from heimdall.services.monitors.service import DEFAULT_CALIBRATION_MAX_AGE_S
from heimdall.services.networks import NetworkService
from heimdall.services.references.service import ReferenceService
from heimdall.tracking.fixes import Fix, iso_utc
from heimdall.tracking.tracks import Tracker, TrackerConfig, tracks_from_fixes
from heimdall.tracking.transmissions import Transmission

log = logging.getLogger(__name__)
TOPIC = "monitors"
TICK_S = 0.1
LEVEL_INTERVAL_S = 0.5
RECEIVERS_INTERVAL_S = 1.0
BEARING_INTERVAL_S = 0.5
_FIX_NAMESPACE = uuid.UUID("4f1c7a52-3b8e-4d7e-9a41-2c6b1f0e9d35")


def monitor_topic(monitor_id: str) -> str:
    return f"monitor:{monitor_id}"


@job_kind("monitor", queue="cpu")
def run_monitor(ctx: JobContext) -> dict[str, Any]:
    monitor_id = ctx.params.get("monitor_id")
    if not isinstance(monitor_id, str):
        raise InvalidInput("monitor job params need monitor_id", field="params")
    store = MonitorStore(ctx.session_factory)
    monitor = store.get(monitor_id)
    if monitor["network_id"] is None:
        raise InvalidInput("the monitor's network was deleted", field="network_id")
    network = NetworkService(ctx.session_factory, ctx.publish).get(monitor["network_id"])
    # A checkpoint marks the job resumable (a lost worker is requeued); the database holds the state.
    ctx.save_checkpoint(json.dumps({"monitor_id": monitor_id}).encode())
    loop = MonitorLoop(ctx, store, monitor, network)
    asyncio.run(loop.run())
    return {"monitor_id": monitor_id, **store.get(monitor_id)["counts"]}


def localization_service(ctx: JobContext) -> LocalizationService:
    """Fixes computed as ``/localize`` computes them: the same resolver and the network's calibration
    corrections (reference transmitters, at most ``calibration_max_age_s`` old)."""
    references = ReferenceService(ctx.session_factory, ctx.publish)
    max_age_s = float(ctx.params.get("calibration_max_age_s", DEFAULT_CALIBRATION_MAX_AGE_S))
    calibrations = CalibrationService(ctx.session_factory, ctx.publish, references.get, max_age_s)
    return LocalizationService(ctx.session_factory, ctx.publish, corrector=calibrations.correct)


class MonitorLoop:
    def __init__(self, ctx: JobContext, store: MonitorStore, monitor: dict[str, Any], network: dict[str, Any]) -> None:
        self.ctx, self.store, self.monitor = ctx, store, monitor
        self.monitor_id: str = monitor["id"]
        self.network_id: str = network["id"]
        self.receivers = [WatchedReceiver.from_dict(r) for r in network["receivers"]
                          if r["enabled"] and r["kind"] in KIND_RANGES_HZ]
        self.watch = Watch(self.monitor_id, monitor, self.receivers)
        self.lamps = Lamps(monitor["receivers"])
        self.localizations = localization_service(ctx)
        self.tracker = self._restore_tracker()
        self.cot = CotOut(monitor["cot"], monitor["options"].get("cot_settings", {}), self.monitor_id)
        self._next = {"levels": 0.0, "receivers": 0.0}
        self._bearing_sent: dict[str, float] = {}

    def _restore_tracker(self) -> Tracker:
        """The live tracker as it stood: every stored fix replayed (exclusions applied)."""
        config = TrackerConfig.from_mapping(self.monitor["options"].get("tracker", {}))
        exclusions = self.store.exclusions(self.monitor_id)
        tracks = build_tracks(self.store.fixes(self.monitor_id), exclusions, config)
        fixes = [fix for track in tracks.values() for fix in track.fixes.values()]
        tracker = tracks_from_fixes(fixes, config, namespace=self.monitor_id)
        for track in tracks.values():
            for fix_id, note in track.exclusions.items():
                owner = next((t for t in tracker.tracks.values() if fix_id in t.fixes), None)
                if owner is not None:
                    tracker.exclude_fix(owner.track_id, fix_id, note)
        tracker.forget_terminated()
        return tracker

    async def run(self) -> None:
        tasks = self._start_adapters()
        await self.cot.start()
        try:
            while True:
                self.ctx.check()
                await self._tick(time.time())
                await asyncio.sleep(TICK_S)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.cot.close()
            for receiver in self.receivers:
                self.lamps.update(receiver.receiver_id, "connecting", "the watch is stopped")
            self.store.set_receivers(self.monitor_id, self.lamps.to_list())

    def _start_adapters(self) -> list[asyncio.Task[None]]:
        options = self.monitor["options"]
        reconnect_s = float(options.get("reconnect_s", MIN_RECONNECT_S))
        tasks = []
        for receiver in self.receivers:
            if receiver.kind == "kraken":
                tasks.append(asyncio.create_task(watch_kraken(
                    receiver, self._on_bearing, self.lamps, poll_interval_s=float(options.get("poll_interval_s", 1.0)),
                    reconnect_s=reconnect_s, stale_after_s=float(options.get("stale_after_s", STALE_AFTER_S)))))
            else:
                adapter = watch_openwebrx if receiver.kind == "openwebrx" else watch_kiwisdr
                for key, channel in self.watch.channels.items():
                    if KIND_RANGES_HZ[receiver.kind][0] <= channel["frequency_hz"] <= KIND_RANGES_HZ[receiver.kind][1]:
                        tasks.append(asyncio.create_task(adapter(receiver, channel, key, self.watch.power, self.lamps,
                                                                 reconnect_s=reconnect_s)))
        return tasks

    async def _tick(self, now_s: float) -> None:
        for transmission in self.watch.poll(now_s):
            await self._handle(transmission)
        if now_s >= self._next["levels"]:
            self._next["levels"] = now_s + LEVEL_INTERVAL_S
            self._publish_levels()
        if now_s >= self._next["receivers"]:
            self._next["receivers"] = now_s + RECEIVERS_INTERVAL_S
            self._publish_receivers()

    # --- one transmission ---

    async def _handle(self, transmission: Transmission) -> None:
        doc, used, reason = self.watch.measurement_set(transmission)
        values: dict[str, Any] = {
            "id": transmission.transmission_id, "frequency_hz": self.watch.channels[transmission.channel]["frequency_hz"],
            "start": to_datetime(transmission.start_s), "end": to_datetime(transmission.end_s),
            "receiver_ids": used or sorted(transmission.receiver_ids), "localization_id": None, "track_id": None,
            "reason": reason}
        fix_id = str(uuid.uuid5(_FIX_NAMESPACE, f"{self.monitor_id}/{transmission.transmission_id}"))
        if doc is not None:
            try:
                result = await asyncio.to_thread(self.localizations.predict, doc)
                fix = Fix.from_result(result, fix_id, transmission.start_s, transmission.channel)
            except InvalidInput as exc:  # the estimator refused the set, or gave no usable covariance
                values["reason"] = f"no fix: {exc.message}"
            else:
                values.update(self._fix(transmission, doc, result, fix))
        stored = self.store.add_transmission(self.monitor_id, values)
        if stored is None:
            return  # stored before: a replay
        self.ctx.publish(monitor_topic(self.monitor_id), "monitor.transmission", stored)
        self.lamps.dirty = True  # the counts changed

    def _fix(self, transmission: Transmission, doc: dict[str, Any], result: dict[str, Any], fix: Fix) -> dict[str, Any]:
        """Track, store and publish a fix; the transmission's localization_id and track_id."""
        fix_id = fix.fix_id
        point = self.tracker.update(fix)
        self.tracker.forget_terminated()  # their history is in the database; memory follows the live tracks
        tagged = {**result, "monitor_id": self.monitor_id, "track_id": point.track_id,
                  "transmission_id": transmission.transmission_id, "time": iso_utc(transmission.start_s)}
        self.localizations.record(doc, tagged, network_id=self.network_id, localization_id=fix_id,
                                  monitor_id=self.monitor_id)
        self.store.add_fix(self.monitor_id, {
            "localization_id": fix_id, "transmission_id": transmission.transmission_id, "track_id": point.track_id,
            "frequency_hz": doc["frequency_hz"], "time_s": transmission.start_s, "lat": fix.lat, "lon": fix.lon,
            "covariance_enu_m2": fix.covariance_enu_m2.tolist(), "request": doc})
        track = self.tracker.get(point.track_id)
        self.ctx.publish(monitor_topic(self.monitor_id), "track.updated",
                         track_to_dict(track, self.monitor_id, {}, last_only=True))
        self.cot.send_fix(tagged, fix_id=fix_id, time_s=transmission.start_s, track=track, channel=transmission.channel)
        return {"localization_id": fix_id, "track_id": point.track_id}

    # --- live state ---

    def _on_bearing(self, reading: BearingReading) -> None:
        channel = self.watch.bearing(reading)
        last = self._bearing_sent.get(reading.receiver_id, 0.0)
        if channel is None or reading.received_at_s - last < BEARING_INTERVAL_S:
            return
        self._bearing_sent[reading.receiver_id] = reading.received_at_s
        receiver = self.watch.receivers[reading.receiver_id]
        self.ctx.publish(monitor_topic(self.monitor_id), "monitor.bearing", {
            "monitor_id": self.monitor_id, "receiver_id": reading.receiver_id, "station": receiver.name,
            "lat": reading.lat_deg, "lon": reading.lon_deg, "bearing_deg": reading.bearing_deg,
            "sigma_deg": reading.sigma_deg, "frequency_hz": float(channel), "time": iso_utc(reading.time_s)})

    def _publish_levels(self) -> None:
        for key, channel in self.watch.channels.items():
            readings = [{"receiver_id": receiver_id, "level_db": level, "floor_db": self.watch.floor_db(receiver_id, key),
                         "detecting": self.watch.detecting(receiver_id, key)}
                        for (receiver_id, level_key), level in sorted(self.watch.levels.items()) if level_key == key]
            if readings:
                self.ctx.publish(monitor_topic(self.monitor_id), "monitor.level", {
                    "monitor_id": self.monitor_id, "frequency_hz": channel["frequency_hz"], "readings": readings})

    def _publish_receivers(self) -> None:
        if not self.lamps.dirty:
            return
        self.lamps.dirty = False
        monitor = self.store.set_receivers(self.monitor_id, self.lamps.to_list())
        self.ctx.publish(TOPIC, "monitor.updated", {**monitor, "status": "running"})
