"""Live events: the envelope, the durable event log, publishers (DB log + Redis) and the WebSocket hub.

``make_publisher(settings, session_factory)`` gives every process its ``publish(topic, event, data)``;
the API process runs a ``Hub`` that streams the log to ``/ws`` clients (see docs/events.md).
"""

from heimdall.events.envelope import EVENT_TYPES, make_envelope
from heimdall.events.hub import Hub, make_hub
from heimdall.events.log import EventLog
from heimdall.events.publisher import Publisher, make_publisher, redis_channel
from heimdall.events.topics import job_topic

__all__ = [
           "EVENT_TYPES",
           "EventLog",
           "Hub",
           "Publisher",
           "job_topic",
           "make_envelope",
           "make_hub",
           "make_publisher",
           "redis_channel",
]
