"""Two API processes on one PostgreSQL database both run the health poller: a change is announced once."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.scaled


def updates(platform) -> int:
    return sum(envelope["event"] == "receiver.updated" for envelope in platform.publish.log.read_after(0))


async def test_two_api_processes_announce_a_change_once(make_platform, postgres_url, fake_kiwi) -> None:
    settings = {"database_url": postgres_url, "receiver_health_interval_s": 0, "receiver_health_host_gap_s": 0}
    first, second = make_platform(**settings), make_platform(**settings)
    fake = await fake_kiwi()
    receiver = await first.receiver_health.create({"kind": "kiwisdr", "url": fake.url})
    fake.options.users_busy = 3
    rounds = await asyncio.gather(first.receiver_health.poll_round(), second.receiver_health.poll_round())
    assert [r.checked for r in rounds] == [1, 1]  # interval 0: both asked (nothing is "recent")
    assert sum(r.changed for r in rounds) == 1 and updates(first) == 1  # the row lock: one saw the change
    assert second.receivers.get(receiver["id"])["health"]["users"] == 3

    polite = make_platform(**{**settings, "receiver_health_interval_s": 600})
    assert (await polite.receiver_health.poll_round()).skipped == 1  # just checked by another process
    assert fake.status_requests == 3
