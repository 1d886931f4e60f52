"""A client may subscribe to ``monitors`` and to ``monitor:<uuid>``, nothing looser."""

from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.events.topics import subscription_keys, validate_topic

MONITOR_ID = "7f3c2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6"


def test_monitor_topics_are_valid() -> None:
    assert validate_topic("monitors") == "monitors"
    assert validate_topic(f"monitor:{MONITOR_ID}") == f"monitor:{MONITOR_ID}"
    assert subscription_keys(f"monitor:{MONITOR_ID}", "monitor.level") == (f"monitor:{MONITOR_ID}",)


@pytest.mark.parametrize("topic", ["monitor:", "monitor:abc", f"monitor:{MONITOR_ID}x", "monitor", f"monitors:{MONITOR_ID}"])
def test_loose_monitor_topics_are_refused(topic: str) -> None:
    with pytest.raises(InvalidInput, match="monitor:<uuid>"):
        validate_topic(topic)
