"""Live events: the envelope, the durable event log, the publisher, the wake-up adapters and the hub.

``make_publisher(settings, session_factory)`` gives a process that only emits its ``publish(topic,
event, data)``; the composition root (``heimdall.platform``) builds a serving process's publisher and
``Hub`` around one wake-up adapter (``make_wakeup``), and the hub streams the log to ``/ws`` clients
(see docs/events.md).
"""

from heimdall.events.envelope import EVENT_TYPES, make_envelope
from heimdall.events.hub import Hub, HubTuning
from heimdall.events.log import EventLog
from heimdall.events.publisher import Publisher, make_publisher
from heimdall.events.topics import job_topic
from heimdall.events.wakeup import Wakeup, make_wakeup

__all__ = [
           "EVENT_TYPES",
           "EventLog",
           "Hub",
           "HubTuning",
           "Publisher",
           "Wakeup",
           "job_topic",
           "make_envelope",
           "make_publisher",
           "make_wakeup",
]
