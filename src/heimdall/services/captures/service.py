"""Captures: ask for one (a ``capture`` job), list, show, delete; download, draw and re-locate its recordings.

    service.create({"receiver_ids": [...], "frequency_hz": 77500, "duration_s": 10}) -> {"capture", "job"}

Validation is ``request.parse_request`` (422 for anything known at once) plus the per-host budget of
docs/receivers.md (409 ``conflict`` while a host's connections or minutes of the last hour are used
up). The Capture shape is ``store.to_capture``; its status is its job's.
"""

from __future__ import annotations

import io
import json
import math
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from heimdall.capture.locating import recordings_measurement_set
from heimdall.errors import Conflict, InvalidInput, NotFound
from heimdall.formats.sigmf_io import read_sigmf
from heimdall.jobs import lifecycle
from heimdall.jobs.service import JobService
from heimdall.receivers.kiwisdr.manners import HostBudget, host_of, identity
from heimdall.rf.spectrogram import spectrogram
from heimdall.services.captures.plan import plan
from heimdall.services.captures.request import CaptureRequest, parse_request
from heimdall.services.captures.store import TOPIC, CaptureStore, hour_ago, to_capture
from heimdall.services.common import Publish
from heimdall.services.localizations import HEAVY_FIELDS, LocalizationService
from heimdall.store.blob import BlobStore

MAX_SPECTROGRAM_FRAMES = 1200
# What a re-locate may change (the measurement set's own options, as POST /localize takes them).
OPTION_FIELDS = ("method", "propagation", "search_area", "transmitter_alt_m")


@dataclass(frozen=True)
class CaptureConfig:
    max_duration_s: float = 60.0
    ready_timeout_s: float = 20.0
    contact: str = ""
    host_budget: HostBudget = field(default_factory=HostBudget)


class CaptureService:
    def __init__(self, session_factory: sessionmaker[Session], publish: Publish, jobs: JobService, blobs: BlobStore,
                 localizations: LocalizationService, config: CaptureConfig | None = None) -> None:
        self._sessions, self._publish, self._jobs, self._blobs = session_factory, publish, jobs, blobs
        self._localizations = localizations
        self.config = config or CaptureConfig()
        self.store = CaptureStore(session_factory)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._sessions() as session:
            request = parse_request(session, body, max_duration_s=self.config.max_duration_s)
        self._check_budget(request)
        capture_id = self.store.insert({
            "network_id": request.network_id, "receiver_ids": request.receiver_ids, "targets": request.targets,
            "frequency_hz": request.frequency_hz, "passband_hz": request.passband_hz,
            "duration_s": request.duration_s, "start_at": request.start_at, "locate": request.locate,
        })
        self._publish(TOPIC, "capture.updated", self._capture(self.store.row_dict(capture_id), light=True))
        job = self._jobs.create("capture", {"capture_id": capture_id, "contact": self.config.contact,
                                            "ready_timeout_s": self.config.ready_timeout_s}, name=f"capture {capture_id[:8]}")
        if self.store.row_dict(capture_id)["job_id"] is None:
            self.store.update(capture_id, job_id=job["id"])
        return {"capture": self.get(capture_id), "job": self._jobs.get(job["id"])}

    def plan(self, body: dict[str, Any]) -> dict[str, Any]:
        """Rank the receivers for a capture now (``plan.plan``)."""
        with self._sessions() as session:
            return plan(session, body, user_agent=identity("", self.config.contact).identity)

    def list(self, *, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """Newest first; each Capture's localization without its heavy parts (the posterior grid)."""
        result = self.store.page(offset, limit)
        return {"items": [self._capture(columns, light=True) for columns in result["items"]], "total": result["total"]}

    def get(self, capture_id: str) -> dict[str, Any]:
        return self._capture(self.store.row_dict(capture_id), light=False)

    def delete(self, capture_id: str) -> None:
        """Remove the capture and its recordings; 409 while its job is active (cancel it first)."""
        columns = self.store.row_dict(capture_id)
        status = self._job_status(columns["job_id"])
        if status in lifecycle.ACTIVE:
            raise Conflict(f"capture {capture_id} is {status}: cancel its job {columns['job_id']} first",
                           details={"status": status, "job_id": columns["job_id"]})
        self.store.delete(capture_id)
        self._blobs.delete_prefix(f"captures/{capture_id}/")
        self._publish(TOPIC, "capture.deleted", {"id": capture_id})

    def recordings_zip(self, capture_id: str) -> bytes:
        """Every recording as ``<receiver_id>.sigmf-meta`` / ``.sigmf-data`` in one zip."""
        columns = self.store.row_dict(capture_id)
        if not columns["recordings"]:
            raise NotFound(f"capture {capture_id} has no recordings", details={"resource": "recordings"})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for receiver_id, keys in sorted(columns["recordings"].items()):
                for part, key in sorted(keys.items()):
                    archive.writestr(f"{receiver_id}.sigmf-{part}", self._blobs.get_bytes(key))
        return buffer.getvalue()

    def spectrogram(self, capture_id: str, receiver_id: str, nfft: int = 256) -> dict[str, Any]:
        """One receiver's waterfall (dB re full scale per bin); ``full_scale_dbm`` from its S-meter: the
        median reading (dBm in the passband) less the recording's mean power (dBFS), None without one."""
        with self._recordings(capture_id, [receiver_id]) as folder:
            recording = read_sigmf(folder.path(receiver_id))
            smeter = json.loads(folder.path(receiver_id).read_text())["global"].get("heimdall:smeter_dbm")
        hop = min(nfft, max(nfft // 2, -(-recording.iq.size // MAX_SPECTROGRAM_FRAMES)))
        result = spectrogram(recording.iq, recording.sample_rate_hz, nfft, hop=hop)
        power = float(np.mean(np.abs(recording.iq) ** 2))
        full_scale = smeter - 10.0 * math.log10(power) if isinstance(smeter, (int, float)) and power > 0 else None
        return {"capture_id": capture_id, "receiver": receiver_id, "start_time_s": 0.0,
                "full_scale_dbm": round(full_scale, 2) if full_scale is not None else None, **result.to_dict()}

    def relocate(self, capture_id: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Locate again from the stored recordings of the receivers the last fix used (or all of them)."""
        columns = self.store.row_dict(capture_id)
        used = columns["used_receiver_ids"] or sorted(columns["recordings"])
        if len(used) < 3:
            raise InvalidInput(f"capture {capture_id} has {len(used)} usable recording(s); a fix needs 3")
        with self._recordings(capture_id, used) as folder:
            doc, diagnostics = recordings_measurement_set([folder.path(rid) for rid in used], None)
        document = {**doc, "method": "classical", **_options(options)}
        localization = self._localizations.localize(document, network_id=columns["network_id"], annotations={
            "capture_id": capture_id, "used_receiver_ids": used, "excluded": columns["excluded"],
            "recordings": diagnostics})
        columns = self.store.update(capture_id, localization_id=localization["id"], used_receiver_ids=used)
        self._publish(TOPIC, "capture.updated", self._capture(columns, light=True))
        return localization

    def _recordings(self, capture_id: str, receiver_ids: Sequence[str]) -> _Folder:
        columns = self.store.row_dict(capture_id)
        missing = [rid for rid in receiver_ids if rid not in columns["recordings"]]
        if missing:
            raise NotFound(f"capture {capture_id} has no recording from receiver {missing[0]!r}",
                           details={"resource": "recording", "id": missing[0]})
        return _Folder(self._blobs, {rid: columns["recordings"][rid] for rid in receiver_ids})

    def _check_budget(self, request: CaptureRequest) -> None:
        connections: dict[str, int] = {}
        minutes: dict[str, float] = {}
        for columns in self.store.recent(hour_ago()):
            active = self._job_status(columns["job_id"]) in lifecycle.ACTIVE
            for target in columns["targets"]:
                host = host_of(target["url"])
                minutes[host] = minutes.get(host, 0.0) + columns["duration_s"] / 60.0
                connections[host] = connections.get(host, 0) + int(active)
        for target in request.targets:
            host = host_of(target["url"])
            refusal = self.config.host_budget.refusal(host, connections=connections.get(host, 0),
                                                      minutes_used=minutes.get(host, 0.0),
                                                      minutes_wanted=request.duration_s / 60.0)
            if refusal is not None:
                raise Conflict(f"per-host budget: {refusal}; try again later", field="receiver_ids")

    def _job_status(self, job_id: str | None) -> str | None:
        job = self._jobs.find(job_id) if job_id else None
        return job["status"] if job else None

    def _capture(self, columns: dict[str, Any], *, light: bool) -> dict[str, Any]:
        localization = None
        if columns["localization_id"]:
            try:
                localization = self._localizations.get(columns["localization_id"])
            except NotFound:
                localization = None
        if localization is not None and light:
            localization = {k: v for k, v in localization.items() if k not in (*HEAVY_FIELDS, "request")}
        return to_capture(columns, self._job_status(columns["job_id"]), localization)


def _options(options: dict[str, Any] | None) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise InvalidInput("options must be an object", field="options")
    unknown = sorted(set(options) - set(OPTION_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown option(s) {', '.join(unknown)}: use {', '.join(OPTION_FIELDS)}",
                           field="options")
    return dict(options)


class _Folder:
    """The named recordings copied from the blob store into a temporary folder, for readers that want files."""

    def __init__(self, blobs: BlobStore, keys: dict[str, dict[str, str]]) -> None:
        self._blobs, self._keys = blobs, keys
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Self:
        self._dir = tempfile.TemporaryDirectory(prefix="capture-")
        for receiver_id, keys in self._keys.items():
            for part, key in keys.items():
                (Path(self._dir.name) / f"{receiver_id}.sigmf-{part}").write_bytes(self._blobs.get_bytes(key))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._dir is not None:
            self._dir.cleanup()

    def path(self, receiver_id: str) -> Path:
        assert self._dir is not None
        return Path(self._dir.name) / f"{receiver_id}.sigmf-meta"
