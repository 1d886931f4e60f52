from __future__ import annotations

import asyncio

import pytest

from heimdall.errors import InvalidInput
from heimdall.events.hub import Hub
from heimdall.events.local_wakeup import LocalWakeup, notify_path
from heimdall.events.publisher import Publisher, make_publisher
from heimdall.events.redis_wakeup import RedisWakeup, redis_channel
from heimdall.events.wakeup import check_events_url, make_wakeup
from heimdall.settings import Settings

JOB = "job:00000000-0000-4000-8000-00000000000a"


def test_publish_logs_then_notifies_listeners(event_log):
    publisher = Publisher(event_log)
    seen: list[dict] = []
    publisher.add_listener(seen.append)
    envelope = publisher(JOB, "job.progress", {"step": 1, "total": 4})
    assert seen == [envelope]
    assert event_log.read_after(0) == [envelope]
    publisher.remove_listener(seen.append)
    publisher(JOB, "job.progress", {"step": 2})
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("topic", "event", "data"),
    [("job:x", "job.progress", {}), ("jobs", "JobProgress", {}), (JOB, "job.progress", [1, 2])],
)
def test_publish_rejects_bad_topics_names_and_data(event_log, topic, event, data):
    with pytest.raises(InvalidInput):
        Publisher(event_log)(topic, event, data)
    assert event_log.read_after(0) == []


@pytest.mark.parametrize("event", ["model.renamed", "job.finished", "localization.updated"])
def test_publish_refuses_events_nobody_declared(event_log, event):
    """Only logged events of EVENT_TYPES reach the log: what docs/asyncapi.yaml and the web app know."""
    with pytest.raises(InvalidInput, match="not declared"):
        Publisher(event_log)("models", event, {})
    assert event_log.read_after(0) == []


def test_events_url_must_be_redis():
    assert check_events_url("") == ""
    assert check_events_url("redis://127.0.0.1:6379/0").startswith("redis://")
    with pytest.raises(InvalidInput):
        check_events_url("amqp://guest@localhost")


def test_channel_is_per_database(tmp_path, session_factory):
    one = Settings(data_dir=tmp_path / "a")
    two = Settings(data_dir=tmp_path / "b")
    assert redis_channel(one) != redis_channel(two)
    assert redis_channel(one) == redis_channel(Settings(data_dir=tmp_path / "a"))
    scaled = Settings(data_dir=tmp_path / "a", events_url="redis://127.0.0.1:6379/0")
    publisher = make_publisher(scaled, session_factory)
    assert isinstance(publisher.wakeup, RedisWakeup) and publisher.wakeup.channel == redis_channel(one)
    publisher.close()


def test_settings_choose_the_wakeup_once(tmp_path):
    embedded = make_wakeup(Settings(data_dir=tmp_path))
    assert isinstance(embedded, LocalWakeup) and embedded.bus == "embedded"
    assert embedded.path == notify_path(Settings(data_dir=tmp_path).resolved_database_url)
    scaled = make_wakeup(Settings(data_dir=tmp_path, events_url="redis://127.0.0.1:6379/0"))
    assert isinstance(scaled, RedisWakeup) and scaled.bus == "redis"
    assert scaled.tail_interval_s > embedded.tail_interval_s  # Redis carries envelopes; the tail is the gap filler
    with pytest.raises(InvalidInput):
        make_wakeup(Settings(data_dir=tmp_path, events_url="amqp://guest@localhost"))


class FakeWakeup:
    """Records what the publisher announces and whom the hub listens with."""

    bus = "fake"
    tail_interval_s = 0.5

    def __init__(self) -> None:
        self.announced: list[int] = []
        self.sinks: list[object] = []
        self.closed = False

    def announce(self, envelope: dict) -> None:
        self.announced.append(envelope["id"])

    async def listen(self, sink) -> None:
        self.sinks.append(sink)

    async def stop_listening(self) -> None:
        self.sinks.clear()

    def close(self) -> None:
        self.closed = True


def test_the_publisher_announces_every_append_after_its_listeners(event_log):
    wakeup = FakeWakeup()
    publisher = Publisher(event_log, wakeup=wakeup)
    order: list[str] = []
    publisher.add_listener(lambda envelope: order.append(f"listener {envelope['id']} {wakeup.announced}"))
    first = publisher(JOB, "job.progress", {"step": 1})
    second = publisher(JOB, "job.progress", {"step": 2})
    assert wakeup.announced == [first["id"], second["id"]]
    assert order == [f"listener {first['id']} []", f"listener {second['id']} [{first['id']}]"]
    publisher.close()
    assert wakeup.closed


async def test_the_hub_listens_with_itself_and_paces_its_tail_by_the_wakeup(event_log):
    wakeup = FakeWakeup()
    hub = Hub(event_log, wakeup=wakeup)
    assert hub.bus == "fake" and hub.poll_interval_s == 0.5
    await hub.start()
    assert wakeup.sinks == [hub]
    envelope = Publisher(event_log)(JOB, "job.progress", {"step": 1})
    hub.notified(envelope["id"])  # an id only: the hub reads the log for it
    for _ in range(200):
        if hub.last_id == envelope["id"]:
            break
        await asyncio.sleep(0.005)
    assert hub.last_id == envelope["id"]
    await hub.stop()
    assert wakeup.sinks == []
