"""``capture``: record the same GNSS window from every receiver of a capture, store the SigMF, locate.

    params: {"capture_id", "contact", "ready_timeout_s"}

It connects to every receiver at once (``receivers.kiwisdr.network_recorder``: manners, back-off,
GNSS lock, the window, hang up), reports each receiver's state as ``job.progress`` (under
``receivers``) and ``capture.updated``, writes one SigMF pair per good receiver to the blob store
(``captures/<id>/<receiver_id>.sigmf-meta|-data``), drops the receivers whose data cannot be trusted
(``capture.trust``) and, with three or more left, locates through the localization service: a stored
localization naming ``capture_id`` and a ``localization.result`` event.

A capture cannot pause (the window passes while it waits: pause answers 409) and cannot resume: a
run that finds the checkpoint a previous run left (its worker was lost, or the server stopped under
it) fails with ``LOST_REASON``. Cancel stops every connection at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from heimdall.capture.trust import TrustedSet, position_disagreements, trusted_measurement_set
from heimdall.errors import Conflict, HeimdallError, InsufficientData, InvalidInput
from heimdall.jobs.context import JobCancelled, JobContext, JobPaused
from heimdall.jobs.registry import job_kind
from heimdall.jobs.repository import LeaseLost
from heimdall.receivers.kiwisdr.network_recorder import (
    CaptureSpec,
    CaptureTarget,
    Outcome,
    ReceiverProgress,
    record_network,
)
from heimdall.receivers.kiwisdr.recording import GnssRecording
from heimdall.receivers.kiwisdr.storage import write_recording_sigmf
from heimdall.services.captures.store import TOPIC, CaptureStore, to_capture
from heimdall.services.localizations import HEAVY_FIELDS, LocalizationService

NO_PAUSE_REASON = "a capture cannot pause: the sky does not wait (cancel it, or start a new one)"
LOST_REASON = "worker lost mid-capture; a capture cannot be resumed"
CHECK_INTERVAL_S = 0.5


@job_kind("capture", queue="cpu", no_pause_reason=NO_PAUSE_REASON)
def run_capture(ctx: JobContext) -> dict[str, Any]:
    capture_id = _capture_id(ctx.params)
    store = CaptureStore(ctx.session_factory)
    try:
        if ctx.load_checkpoint() is not None:
            raise Conflict(LOST_REASON)  # the window it was recording has passed
        ctx.save_checkpoint(json.dumps({"capture_id": capture_id}).encode())
        columns = store.update(capture_id, job_id=ctx.job_id, error=None)
        _publish(ctx, columns)
        outcomes = _record(ctx, store, columns)
        return _finish(ctx, store, columns, outcomes)
    except (LeaseLost, JobPaused):
        raise
    except JobCancelled:
        _settle(ctx, store, capture_id, "cancelled by request", "cancelled")
        raise
    except Exception as exc:
        reason = exc.message if isinstance(exc, HeimdallError) else f"capture crashed: {exc}"
        _settle(ctx, store, capture_id, reason, "failed")
        raise


def _capture_id(params: dict[str, Any]) -> str:
    capture_id = params.get("capture_id")
    if not isinstance(capture_id, str):
        raise InvalidInput("capture job params need a capture_id", field="params")
    return capture_id


def _spec(ctx: JobContext, columns: dict[str, Any]) -> CaptureSpec:
    """At ``start_at``, or as soon as every receiver streams with GNSS time (``ready_timeout_s`` at most)."""
    start: datetime | None = columns["start_at"]
    return CaptureSpec(columns["frequency_hz"], columns["passband_hz"], columns["duration_s"],
                       start_utc_ns=round(start.timestamp() * 1e9) if start else None,
                       contact=ctx.params.get("contact") or None,
                       ready_timeout_s=float(ctx.params.get("ready_timeout_s", 20.0)))


def _targets(columns: dict[str, Any]) -> list[CaptureTarget]:
    return [CaptureTarget(t["id"], t["name"], t["url"], (t["lat"], t["lon"], t.get("alt_m") or 0.0))
            for t in columns["targets"]]


class _Reporter:
    """Receives each receiver's progress: job.progress always, the row and capture.updated on a new state."""

    def __init__(self, ctx: JobContext, store: CaptureStore, capture_id: str, count: int) -> None:
        self.ctx, self.store, self.capture_id, self.count = ctx, store, capture_id, count
        self.latest: dict[str, ReceiverProgress] = {}
        self._states: dict[str, str] = {}

    def __call__(self, progress: ReceiverProgress) -> None:
        self.latest[progress.receiver_id] = progress
        changed = self._states.get(progress.receiver_id) != progress.state
        self._states[progress.receiver_id] = progress.state
        self.send("recording" if any(p.state == "recording" for p in self.latest.values()) else "connecting",
                  force=changed)
        if changed:
            _publish(self.ctx, self.store.set_receiver(self.capture_id, progress.to_dict()))

    def send(self, phase: str, *, force: bool = False) -> None:
        done = sum(p.state in ("done", "failed", "excluded") for p in self.latest.values())
        receivers = {rid: {k: v for k, v in p.to_dict().items() if k in ("state", "reason", "gnss_ok",
                                                                           "seconds_recorded", "snr_db")}
                     for rid, p in self.latest.items()}
        self.ctx.progress(done, self.count, phase=phase, message=f"{done}/{self.count} receivers finished",
                          details={"job_id": self.ctx.job_id, "receivers": receivers}, force=force)


def _record(ctx: JobContext, store: CaptureStore, columns: dict[str, Any]) -> tuple[dict[str, Outcome], _Reporter]:
    targets = _targets(columns)
    reporter = _Reporter(ctx, store, columns["id"], len(targets))
    outcomes = asyncio.run(_record_watched(ctx, targets, _spec(ctx, columns), reporter))
    return outcomes, reporter


async def _record_watched(ctx: JobContext, targets: list[CaptureTarget], spec: CaptureSpec,
                          reporter: _Reporter) -> dict[str, Outcome]:
    """Record, honouring cancel (and a stopping server) every CHECK_INTERVAL_S: every connection closes."""
    task = asyncio.create_task(record_network(targets, spec, reporter))
    while not task.done():
        await asyncio.wait({task}, timeout=CHECK_INTERVAL_S)
        try:
            ctx.check()
        except BaseException:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise
    return task.result()


def _finish(ctx: JobContext, store: CaptureStore, columns: dict[str, Any],
            recorded: tuple[dict[str, Outcome], _Reporter]) -> dict[str, Any]:
    outcomes, reporter = recorded
    capture_id = columns["id"]
    good = {rid: o for rid, o in outcomes.items() if isinstance(o, GnssRecording)}
    failed = {rid: o.message for rid, o in outcomes.items() if not isinstance(o, GnssRecording)}
    with tempfile.TemporaryDirectory(prefix="capture-") as folder:
        paths = {rid: _store_recording(ctx, capture_id, recording, Path(folder)) for rid, recording in good.items()}
        columns = store.update(capture_id, recordings={rid: _keys(capture_id, rid) for rid in paths})
        if not columns["locate"]:
            return _done(ctx, store, capture_id, list(paths), failed, None)
        reporter.send("locating", force=True)
        trusted = _trust(columns, paths, reporter)
        _mark_excluded(ctx, store, capture_id, trusted, set(failed))
        excluded = {**failed, **trusted.excluded}
        if trusted.measurement_set is None:
            store.update(capture_id, used_receiver_ids=[], excluded=_excluded_list(excluded))
            raise InsufficientData(f"no fix: {trusted.reason}")
        localization = LocalizationService(ctx.session_factory, ctx.publish).localize(
            {**trusted.measurement_set, "method": "classical"}, network_id=columns["network_id"],
            annotations={"capture_id": capture_id, "used_receiver_ids": trusted.used,
                         "excluded": _excluded_list(excluded), "recordings": trusted.diagnostics})
    reporter.send("done", force=True)
    return _done(ctx, store, capture_id, trusted.used, excluded, localization)


def _trust(columns: dict[str, Any], paths: dict[str, Path], reporter: _Reporter) -> TrustedSet:
    stored = {t["id"]: (t["lat"], t["lon"]) for t in columns["targets"] if t["id"] in paths}
    reported = {rid: reporter.latest[rid].reported_position for rid in paths if rid in reporter.latest}
    return trusted_measurement_set(paths, position_disagreements(stored, reported))


def _mark_excluded(ctx: JobContext, store: CaptureStore, capture_id: str, trusted: TrustedSet,
                   failed: set[str]) -> None:
    for rid, reason in trusted.excluded.items():
        if rid not in failed:
            _publish(ctx, store.set_receiver(capture_id, {"receiver_id": rid, "state": "excluded", "reason": reason}))


def _done(ctx: JobContext, store: CaptureStore, capture_id: str, used: list[str], excluded: dict[str, str],
          localization: dict[str, Any] | None) -> dict[str, Any]:
    columns = store.update(capture_id, used_receiver_ids=used, excluded=_excluded_list(excluded),
                           localization_id=localization["id"] if localization else None, error=None)
    light = {k: v for k, v in localization.items() if k not in HEAVY_FIELDS} if localization else None
    _publish(ctx, columns, status="completed", localization=light)
    fix = {"lat": localization["lat"], "lon": localization["lon"]} if localization else {}
    return {"capture_id": capture_id, "localization_id": columns["localization_id"], "used_receiver_ids": used,
            "excluded": columns["excluded"], **fix}


def _store_recording(ctx: JobContext, capture_id: str, recording: GnssRecording, folder: Path) -> Path:
    meta = write_recording_sigmf(recording, folder, description=f"Heimdall capture {capture_id}")
    keys = _keys(capture_id, recording.receiver_id)
    ctx.blobs.put_bytes(keys["data"], meta.with_suffix(".sigmf-data").read_bytes())
    ctx.blobs.put_bytes(keys["meta"], meta.read_bytes())
    return meta


def _keys(capture_id: str, receiver_id: str) -> dict[str, str]:
    base = f"captures/{capture_id}/{receiver_id}"
    return {"meta": f"{base}.sigmf-meta", "data": f"{base}.sigmf-data"}


def _excluded_list(excluded: dict[str, str]) -> list[dict[str, str]]:
    return [{"receiver_id": rid, "reason": reason} for rid, reason in excluded.items()]


def _settle(ctx: JobContext, store: CaptureStore, capture_id: str, reason: str, status: str) -> None:
    """The capture ends with the job's reason; receivers still under way end failed with it."""
    with contextlib.suppress(HeimdallError):
        columns = store.row_dict(capture_id)
        receivers = [r if r["state"] in ("done", "failed", "excluded") else {**r, "state": "failed", "reason": reason}
                     for r in columns["receivers"]]
        _publish(ctx, store.update(capture_id, error=reason, receivers=receivers), status=status)


def _publish(ctx: JobContext, columns: dict[str, Any], *, status: str = "running",
             localization: dict[str, Any] | None = None) -> None:
    ctx.publish(TOPIC, "capture.updated", to_capture(columns, status, localization))
