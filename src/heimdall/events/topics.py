"""Topic names and routing (CONTRACT section 3).

Every logged event lives under exactly one topic. Job events are logged under ``job:<id>``; the
``jobs`` subscription additionally receives the lifecycle events of every job. Routing is computed
here once so the hub, the replay query and the docs agree.
"""

from __future__ import annotations

import re

from heimdall.errors import InvalidInput

JOB_TOPIC_PREFIX = "job:"
MONITOR_TOPIC_PREFIX = "monitor:"  # a monitor's live events (an extension: docs/monitoring.md)
JOBS_TOPIC = "jobs"
SYSTEM_TOPIC = "system"
AUDIT_TOPIC = "audit"
# `networks` is an extension of the contract (network.* events of the resources service); `captures`
# carries capture.* events (docs/captures.md); `references` and `calibrations` docs/calibration.md;
# `monitors` a monitor's changes (its live events are under monitor:<uuid>, docs/monitoring.md);
# `audit` (audit.recorded) is readable by admins only (docs/security.md).
NAMED_TOPICS = frozenset({JOBS_TOPIC, "datasets", "models", "receivers", "networks", "references", "calibrations",
                          "localizations", "captures", "monitors", SYSTEM_TOPIC, AUDIT_TOPIC})
JOB_LIFECYCLE_EVENTS = frozenset({"job.created", "job.state", "job.deleted"})

# The longest valid topic is "job:<uuid>" (40 characters); error messages show at most this much of one.
MAX_TOPIC_CHARS = 40
SHOWN_CHARS = 64
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters: never echo unbounded input."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def job_topic(job_id: str) -> str:
    return f"{JOB_TOPIC_PREFIX}{job_id}"


def is_job_topic(topic: str) -> bool:
    return topic.startswith(JOB_TOPIC_PREFIX)


def validate_topic(topic: object) -> str:
    """``topic`` if it is a topic a client may subscribe to or an event may be logged under."""
    if not isinstance(topic, str):
        raise InvalidInput("a topic must be a string", field="topics")
    if topic in NAMED_TOPICS:
        return topic
    if is_job_topic(topic) and _UUID.match(topic[len(JOB_TOPIC_PREFIX):]):
        return topic
    if topic.startswith(MONITOR_TOPIC_PREFIX) and _UUID.match(topic[len(MONITOR_TOPIC_PREFIX):]):
        return topic
    raise InvalidInput(
        f"unknown topic {shown(topic)}: expected one of {sorted(NAMED_TOPICS)}, job:<uuid> or monitor:<uuid>",
        field="topics"
    )


def validate_event_name(event: str) -> str:
    if not isinstance(event, str) or not _EVENT_NAME.match(event):
        raise InvalidInput(f"invalid event name {shown(event)}: expected dotted lower-case like 'job.progress'")
    return event


def subscription_keys(topic: str, event: str) -> tuple[str, ...]:
    """The subscription topics that receive an event logged under ``topic``."""
    if is_job_topic(topic) and event in JOB_LIFECYCLE_EVENTS:
        return (topic, JOBS_TOPIC)
    return (topic,)
