from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.events.publisher import Publisher, check_events_url, make_publisher, redis_channel
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
    publisher = make_publisher(one, session_factory)
    assert publisher.channel == redis_channel(one)
