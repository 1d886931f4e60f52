"""Monitors: create one (its ``monitor`` job starts watching), read it, its transmissions and
tracks, exclude a fix or a receiver's measurement from a track, delete it.

Each change of a monitor is published on topic ``monitors`` (``monitor.updated``, data: the
monitor; ``monitor.deleted``). Its ``status`` mirrors its job (pause, resume and cancel go through
``/jobs``). docs/monitoring.md, "Monitors".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import Conflict, InvalidInput, NotFound
from heimdall.jobs import lifecycle
from heimdall.jobs.service import JobService
from heimdall.services.common import Publish
from heimdall.services.localizations import LocalizationService
from heimdall.services.monitors.config import KIND_RANGES_HZ, check_network, parse_request
from heimdall.services.monitors.store import MonitorStore
from heimdall.services.monitors.tracks import build_tracks, exclusions_by_fix, track_to_dict
from heimdall.services.networks import NetworkService
from heimdall.tracking.export import track_csv, track_geojson, track_kml
from heimdall.tracking.tracks import MAX_NOTE_CHARS, Track, TrackerConfig

TOPIC = "monitors"
JOB_KIND = "monitor"
ExclusionsByFix = dict[str, list[dict[str, Any]]]
DEFAULT_CALIBRATION_MAX_AGE_S = 30 * 86400.0  # settings.calibration_max_age_days
EXPORTS = {"geojson": "application/geo+json", "kml": "application/vnd.google-earth.kml+xml", "csv": "text/csv"}


class MonitorService:
    def __init__(self, session_factory: sessionmaker[Session], publish: Publish, jobs: JobService,
                 networks: NetworkService, localizations: LocalizationService, *,
                 calibration_max_age_s: float = DEFAULT_CALIBRATION_MAX_AGE_S) -> None:
        self._calibration_max_age_s = calibration_max_age_s
        self._store = MonitorStore(session_factory)
        self._publish = publish
        self._jobs = jobs
        self._networks = networks
        self._localizations = localizations

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        """``POST /monitors``: validate, store, start its job; ``{"monitor", "job"}``."""
        config = parse_request(fields)
        network = self._network(fields.get("network_id"))
        check_network(config, network)
        name = fields.get("name") or "Watch " + ", ".join(f"{c['frequency_hz'] / 1e6:g} MHz" for c in config["channels"])
        if not isinstance(name, str) or len(name.strip()) == 0 or len(name) > 200:
            raise InvalidInput("name must be 1 to 200 characters", field="name")
        monitor = self._store.insert(name.strip(), network["id"], config, initial_receivers(network))
        self._publish(TOPIC, "monitor.updated", self._with_status(monitor, lifecycle.QUEUED))
        try:
            params = {"monitor_id": monitor["id"], "calibration_max_age_s": self._calibration_max_age_s}
            job = self._jobs.create(JOB_KIND, params, name=f"Monitor {monitor['name']}")
        except BaseException:
            self._store.delete(monitor["id"])
            raise
        monitor = self._store.set_job(monitor["id"], job["id"])
        return {"monitor": self._with_status(monitor), "job": self._jobs.get(job["id"])}

    def _network(self, network_id: Any) -> dict[str, Any]:
        if not isinstance(network_id, str) or not network_id:
            raise InvalidInput("network_id must name a stored network", field="network_id")
        try:
            return self._networks.get(network_id)
        except NotFound as exc:
            raise InvalidInput(f"unknown network {network_id!r}", field="network_id") from exc

    def list(self, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        items, total = self._store.page(offset, limit)
        return {"items": [self._with_status(item) for item in items], "total": total}

    def get(self, monitor_id: str) -> dict[str, Any]:
        return self._with_status(self._store.get(monitor_id))

    def delete(self, monitor_id: str) -> dict[str, Any]:
        """Delete a monitor with its transmissions, fixes and exclusions (its localizations stay);
        409 while its job is active (cancel it first); a paused job is cancelled."""
        monitor = self.get(monitor_id)
        status = monitor["status"]
        if status in lifecycle.ACTIVE:
            raise Conflict(f"monitor {monitor['name']!r} is watching (job {monitor['job_id']} {status}); cancel the "
                           "job first", details={"job_id": monitor["job_id"], "job_status": status})
        if status == lifecycle.PAUSED:
            self._jobs.cancel(monitor["job_id"])
        removed = self._store.delete(monitor_id)
        self._publish(TOPIC, "monitor.deleted", removed)
        return removed

    def _with_status(self, monitor: dict[str, Any], status: str | None = None) -> dict[str, Any]:
        """The monitor with its job's status (``cancelled`` once the job is gone)."""
        if status is None:
            job = self._jobs.find(monitor["job_id"]) if monitor["job_id"] else None
            status = job["status"] if job is not None else lifecycle.CANCELLED
        return {**monitor, "status": status}

    # --- transmissions and tracks ---

    def transmissions(self, monitor_id: str, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        self._store.get(monitor_id)
        return self._store.transmissions(monitor_id, offset, limit)

    def tracks(self, monitor_id: str) -> dict[str, Any]:
        items = [track_to_dict(track, monitor_id, by_fix) for track, by_fix in self._tracks(monitor_id).values()]
        items.sort(key=lambda t: (t["started_at"], t["id"]))
        return {"items": items, "total": len(items)}

    def track(self, monitor_id: str, track_id: str) -> dict[str, Any]:
        track, by_fix = self._track(monitor_id, track_id)
        return track_to_dict(track, monitor_id, by_fix)

    def export_track(self, monitor_id: str, track_id: str, fmt: str) -> tuple[Any, str, str]:
        """(content, media type, file name) of a track as GeoJSON, KML or CSV."""
        if fmt not in EXPORTS:
            raise InvalidInput(f"format must be one of {', '.join(EXPORTS)}", field="format")
        track, _ = self._track(monitor_id, track_id)
        render = {"geojson": track_geojson, "kml": track_kml, "csv": track_csv}[fmt]
        return render(track), EXPORTS[fmt], f"track-{track_id}.{fmt}"

    def _tracks(self, monitor_id: str, track_id: str | None = None) -> dict[str, tuple[Track, ExclusionsByFix]]:
        monitor = self._store.get(monitor_id)
        exclusions = self._store.exclusions(monitor_id)
        config = TrackerConfig.from_mapping(monitor["options"].get("tracker", {}))
        tracks = build_tracks(self._store.fixes(monitor_id, track_id), exclusions, config)
        by_fix = exclusions_by_fix(exclusions)
        return {key: (track, by_fix) for key, track in tracks.items()}

    def _track(self, monitor_id: str, track_id: str) -> tuple[Track, ExclusionsByFix]:
        found = self._tracks(monitor_id, track_id).get(track_id)
        if found is None:
            raise NotFound(f"monitor {monitor_id} has no track {track_id!r}", details={"resource": "track", "id": track_id})
        return found

    # --- exclusions ---

    def exclude(self, monitor_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Exclude a fix (no ``receiver_id``) or one receiver's measurements of it (the fix is located
        again without them) from its track, with a note; the recomputed Track."""
        self._store.get(monitor_id)
        unknown = sorted(set(body) - {"localization_id", "receiver_id", "note"})
        if unknown:
            raise InvalidInput(f"unknown exclusion field {unknown[0]!r}", field=unknown[0])
        note = body.get("note")
        if not isinstance(note, str) or not note.strip() or len(note) > MAX_NOTE_CHARS:
            raise InvalidInput(f"an exclusion needs a note of 1 to {MAX_NOTE_CHARS} characters", field="note")
        fix = self._store.fix(monitor_id, body.get("localization_id"))  # type: ignore[arg-type]
        receiver_id = body.get("receiver_id")
        relocated = None if receiver_id is None else self._relocate(fix.request, receiver_id)
        self._store.add_exclusion(monitor_id, {"localization_id": fix.localization_id, "receiver_id": receiver_id,
                                               "note": note.strip(), "relocated": relocated})
        return self.track(monitor_id, fix.track_id)

    def include(self, monitor_id: str, exclusion_id: str) -> dict[str, Any]:
        """Undo an exclusion; the recomputed Track."""
        removed = self._store.delete_exclusion(monitor_id, exclusion_id)
        return self.track(monitor_id, self._store.fix(monitor_id, removed["localization_id"]).track_id)

    def _relocate(self, request: dict[str, Any], receiver_id: Any) -> dict[str, Any]:
        doc = without_receiver(request, receiver_id)
        result = self._localizations.predict(doc)
        return {"lat": result["lat"], "lon": result["lon"], "covariance_enu_m2": result["covariance_enu_m2"],
                "method": result.get("method")}


def without_receiver(request: dict[str, Any], receiver_id: Any) -> dict[str, Any]:
    """The measurement set without ``receiver_id``'s measurements; 422 when it had none."""
    kinds = ("rss", "tdoa", "toa", "aoa")
    used = any(entry.get("receiver") == receiver_id or entry.get("reference") == receiver_id
               for kind in kinds for entry in request.get(kind, []))
    if not isinstance(receiver_id, str) or not used:
        raise InvalidInput(f"receiver {receiver_id!r} measured nothing in this fix", field="receiver_id")
    doc = {key: value for key, value in request.items() if key not in kinds}
    for kind in kinds:
        kept = [e for e in request.get(kind, []) if receiver_id not in (e.get("receiver"), e.get("reference"))]
        if kept:
            doc[kind] = kept
    if not any(kind in doc for kind in kinds):
        raise InvalidInput("without that receiver the fix has no measurement left", field="receiver_id")
    return doc


def initial_receivers(network: dict[str, Any]) -> list[dict[str, Any]]:
    """Each enabled receiver of the network as the monitor first shows it."""
    return [{"receiver_id": r["id"], "name": r["name"], "kind": r["kind"],
             "state": "connecting" if r["kind"] in KIND_RANGES_HZ else "failed",
             "reason": None if r["kind"] in KIND_RANGES_HZ else f"a {r['kind']} receiver is not watched by monitors"}
            for r in network["receivers"] if r["enabled"]]
