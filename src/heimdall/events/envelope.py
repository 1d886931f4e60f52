"""The one message shape of ``/ws`` and the event types it carries.

Every server message is an envelope ``{"id", "event", "topic", "timestamp", "data"}``. Logged events
get an integer id from the event log; protocol messages (connected, subscribed, heartbeat, pong,
error, resync) carry ``"id": null``. Each event type's ``data`` is described by a pydantic model
below; ``EVENT_TYPES`` is the single list the AsyncAPI document is generated from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def iso_ms(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a ``Z`` suffix."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def truncate_ms(moment: datetime) -> datetime:
    """``moment`` cut to whole milliseconds, so a logged timestamp and its replay print the same."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def make_envelope(
    event: str, topic: str, data: dict[str, Any], *, event_id: int | None = None, moment: datetime | None = None
) -> dict[str, Any]:
    timestamp = iso_ms(moment or datetime.now(UTC))
    return {"id": event_id, "event": event, "topic": topic, "timestamp": timestamp, "data": data}


class Envelope(BaseModel):
    """Every server message."""

    model_config = ConfigDict(extra="forbid")
    id: int | None = Field(description="Event-log id (strictly increasing); null for protocol messages")
    event: str
    topic: str
    timestamp: str = Field(description="UTC ISO 8601 with milliseconds and Z")
    data: dict[str, Any]


class _Open(BaseModel):
    """Resource snapshots: the listed fields plus whatever the resource carries."""

    model_config = ConfigDict(extra="allow")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConnectedData(_Closed):
    client_id: str
    server_time: str
    last_id: int = Field(
        description="Newest logged id at connection time (0 when none): a client's first `after`, so nothing "
        "logged between its REST fetch and its subscribe is lost"
    )


class SubscribedData(_Closed):
    topics: list[str]
    replayed: int = Field(description="How many logged events were replayed for this subscription")


class HeartbeatData(_Closed):
    server_time: str


class PongData(_Closed):
    server_time: str


class ErrorData(_Closed):
    code: str = Field(description="invalid_json, invalid_message, unknown_op, invalid_topic, message_too_large, "
                      "storage_error, internal")
    message: str


class ResyncData(_Closed):
    reason: str = Field(description="cursor_too_old or overflow")
    after: int | None = None
    oldest_id: int | None = None


class JobData(_Open):
    id: str
    kind: str
    status: str


class JobStateData(JobData):
    previous_status: str | None
    reason: str | None = None


class JobDeletedData(_Open):
    id: str


class JobProgressData(_Open):
    phase: str = ""
    step: int
    total: int | None = None
    percent: float | None = None
    eta_s: float | None = None
    message: str = ""


class JobMetricsData(_Open):
    epoch: int


class ResourceData(_Open):
    id: str


class DatasetShardData(_Open):
    id: str = Field(description="The dataset's id")
    num_samples: int = Field(description="Samples committed, this shard included")
    num_shards: int
    shard: dict[str, Any] = Field(description="The appended shard: key, start_index, count, sha256, bytes")


class ReceiverHealthData(_Open):
    id: str


class LocalizationResultData(_Open):
    lat: float
    lon: float


class MonitorLevelData(_Open):
    monitor_id: str
    frequency_hz: float
    readings: list[dict[str, Any]] = Field(
        description="One per receiver: receiver_id, level_db, floor_db (null until known), detecting")


class MonitorTransmissionData(_Open):
    id: str
    monitor_id: str
    frequency_hz: float
    localization_id: str | None
    track_id: str | None
    reason: str | None


class TrackUpdatedData(_Open):
    id: str
    monitor_id: str
    points: list[dict[str, Any]] = Field(description="The latest point only")


class MonitorBearingData(_Open):
    monitor_id: str
    receiver_id: str
    station: str
    lat: float
    lon: float
    bearing_deg: float
    sigma_deg: float
    time: str
class AuditData(_Open):
    id: int
    at: str
    actor: str
    action: str
    target: str
    status: int


@dataclass(frozen=True)
class EventType:
    name: str
    topic: str  # the topic it is logged under, or a pattern like "job:<id>"
    data: type[BaseModel]
    logged: bool
    summary: str


def _types(*items: EventType) -> dict[str, EventType]:
    return {item.name: item for item in items}


EVENT_TYPES: dict[str, EventType] = _types(
    EventType("connected", "system", ConnectedData, False, "First message on every connection"),
    EventType("subscribed", "system", SubscribedData, False, "A subscribe op completed (after its replay)"),
    EventType("heartbeat", "system", HeartbeatData, False, "Sent every 15 s on every connection"),
    EventType("pong", "system", PongData, False, "Answer to a ping op"),
    EventType("error", "system", ErrorData, False, "A bad client message; the connection stays open"),
    EventType("resync", "<the topic>", ResyncData, False, "Events were lost for this topic; refetch over REST"),
    EventType("job.created", "job:<id>", JobData, True, "A job was created (also on `jobs`)"),
    EventType("job.state", "job:<id>", JobStateData, True, "A job changed status (also on `jobs`)"),
    EventType("job.deleted", "job:<id>", JobDeletedData, True, "A job was deleted (also on `jobs`)"),
    EventType("job.progress", "job:<id>", JobProgressData, True, "Progress, throttled to about 4/s"),
    EventType("job.metrics", "job:<id>", JobMetricsData, True, "The metrics of one training epoch"),
    EventType("dataset.created", "datasets", ResourceData, True, "A dataset was created"),
    EventType("dataset.updated", "datasets", ResourceData, True, "A dataset changed"),
    EventType("dataset.deleted", "datasets", ResourceData, True, "A dataset was deleted"),
    EventType("dataset.shard_added", "datasets", DatasetShardData, True,
              "A generation job committed one more shard: that shard and the counts, not the whole dataset"),
    EventType("model.registered", "models", ResourceData, True, "A trained model was registered"),
    EventType("model.deployed", "models", ResourceData, True, "A model became the deployed one"),
    EventType("model.updated", "models", ResourceData, True, "A model's name, notes or tags changed"),
    EventType("model.undeployed", "models", ResourceData, True,
              "A model stopped being deployed (undeployed, or replaced by another for its network)"),
    EventType("model.deleted", "models", ResourceData, True, "A model was deleted"),
    EventType("receiver.created", "receivers", ResourceData, True, "A receiver was created"),
    EventType("receiver.updated", "receivers", ResourceData, True, "A receiver changed"),
    EventType("receiver.deleted", "receivers", ResourceData, True, "A receiver was deleted"),
    EventType("receiver.health", "receivers", ReceiverHealthData, True, "A receiver's health was checked"),
    EventType("network.created", "networks", ResourceData, True, "A network was created (extension)"),
    EventType("network.updated", "networks", ResourceData, True, "A network changed (extension)"),
    EventType("network.deleted", "networks", ResourceData, True, "A network was deleted (extension)"),
    EventType("reference.created", "references", ResourceData, True, "A reference transmitter was added"),
    EventType("reference.updated", "references", ResourceData, True, "A reference transmitter changed"),
    EventType("reference.deleted", "references", ResourceData, True, "A reference transmitter was deleted"),
    EventType("calibration.created", "calibrations", ResourceData, True, "A calibration was fitted and stored"),
    EventType("calibration.updated", "calibrations", ResourceData, True, "A calibration was reviewed (rejected)"),
    EventType("calibration.deleted", "calibrations", ResourceData, True, "A calibration was deleted"),
    EventType("localization.result", "localizations", LocalizationResultData, True, "A stored localization"),
    EventType("capture.updated", "captures", ResourceData, True,
              "A capture was created, a receiver's outcome or the capture's end (the Capture)"),
    EventType("capture.deleted", "captures", ResourceData, True, "A capture was deleted"),
    EventType("monitor.updated", "monitors", ResourceData, True, "A monitor changed: state, receivers, counts"),
    EventType("monitor.deleted", "monitors", ResourceData, True, "A monitor was deleted (extension)"),
    EventType("monitor.level", "monitor:<id>", MonitorLevelData, True,
              "Each receiver's level on one channel, at most ~2 per second per monitor"),
    EventType("monitor.transmission", "monitor:<id>", MonitorTransmissionData, True,
              "A transmission was heard (with its fix, or why there is none)"),
    EventType("track.updated", "monitor:<id>", TrackUpdatedData, True, "A fix joined a track"),
    EventType("monitor.bearing", "monitor:<id>", MonitorBearingData, True, "A KrakenSDR station's new bearing"),
    EventType("audit.recorded", "audit", AuditData, True, "A write or a failed sign-in was audited (admins only)"),
)

PROTOCOL_EVENTS = frozenset(name for name, spec in EVENT_TYPES.items() if not spec.logged)
