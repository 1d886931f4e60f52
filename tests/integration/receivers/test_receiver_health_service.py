"""The receiver health service against fake KiwiSDRs on loopback: a receiver from its URL, polling rounds,
one ``receiver.updated`` per change and none without, a receiver that stops answering, scaled-mode skips."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from heimdall.errors import InvalidInput
from heimdall.services.receiver_health import HealthRound


@pytest.fixture
def health_platform(make_platform):
    """Polling on demand only (interval 0: every round checks every receiver), no gap between requests."""
    return make_platform(receiver_health_interval_s=0, receiver_health_host_gap_s=0, receiver_health_timeout_s=5)


def receiver_events(platform) -> list[str]:
    return [envelope["event"] for envelope in platform.publish.log.read_after(0) if envelope["topic"] == "receivers"]


async def test_a_kiwi_from_its_url_alone(health_platform, fake_kiwi) -> None:
    fake = await fake_kiwi(asl_m=15, location="Borkum", antenna="mini-whip", users_busy=1)
    receiver = await health_platform.receiver_health.create({"kind": "kiwisdr", "url": fake.url})
    assert receiver["name"] == "DF0KL" and receiver["url"] == fake.url
    assert (receiver["lat"], receiver["lon"], receiver["alt_m"]) == (pytest.approx(53.665337), pytest.approx(7.282766), 15.0)
    assert receiver["capabilities"] == ["rss", "tdoa"] and receiver["timing"] == "gnss"
    health = receiver["health"]
    assert health["ok"] is True and health["tdoa_ready"] is True and health["users"] == 1 and health["free_slots"] == 3
    assert health["antenna"] == "mini-whip" and health["location"] == "Borkum" and health["checked_at"].endswith("Z")
    assert health["last_ok_at"] == health["checked_at"]
    assert receiver_events(health_platform) == ["receiver.created"]


async def test_fields_given_win_over_fetched_ones(health_platform, fake_kiwi) -> None:
    fake = await fake_kiwi(tdoa_ch=-1)
    receiver = await health_platform.receiver_health.create({"kind": "kiwisdr", "url": fake.url, "name": "mine",
                                                             "lat": 50.0, "enabled": False})
    assert (receiver["name"], receiver["lat"], receiver["lon"]) == ("mine", 50.0, pytest.approx(7.282766))
    assert receiver["enabled"] is False
    assert receiver["capabilities"] == ["rss"] and receiver["timing"] == "none"  # GNSS timestamps switched off
    assert "tdoa_ch=-1" in receiver["health"]["tdoa_reason"]
    bare = await health_platform.receiver_health.create({"kind": "kiwisdr", "url": fake.url.removeprefix("http://"),
                                                         "name": "bare"})
    assert bare["url"] == fake.url  # host:port becomes the URL a browser opens


async def test_a_kiwi_without_a_position_needs_one_given(health_platform, fake_kiwi) -> None:
    fake = await fake_kiwi(lat=-69.0, lon=90.0)  # the firmware's "not set"
    with pytest.raises(InvalidInput, match="publishes no position"):
        await health_platform.receiver_health.create({"kind": "kiwisdr", "url": fake.url})
    receiver = await health_platform.receiver_health.create({"kind": "kiwisdr", "url": fake.url, "lat": 1.0, "lon": 2.0})
    assert receiver["name"] == "DF0KL" and (receiver["lat"], receiver["lon"]) == (1.0, 2.0)


async def test_polling_announces_each_change_once(health_platform, fake_kiwi, closed_port) -> None:
    fake = await fake_kiwi()
    service = health_platform.receiver_health
    receiver = await service.create({"kind": "kiwisdr", "url": fake.url})
    health_platform.receivers.create({"name": "sim", "kind": "simulated", "lat": 1, "lon": 1})  # never polled
    first_check = receiver["health"]["checked_at"]

    assert await service.poll_round() == HealthRound(checked=1, changed=0, failed=0, skipped=0)
    stored = health_platform.receivers.get(receiver["id"])
    assert stored["health"]["checked_at"] > first_check and stored["updated_at"] == receiver["updated_at"]
    assert receiver_events(health_platform).count("receiver.updated") == 0  # only the receiver.health heartbeat

    fake.options.users_busy = 3  # two more listeners: our slot would be their last
    assert (await service.poll_round()).changed == 1
    stored = health_platform.receivers.get(receiver["id"])
    assert stored["health"]["users"] == 3 and stored["health"]["can_take_user"] is False
    assert stored["health"]["status"] == "degraded"
    assert (await service.poll_round()).changed == 0
    assert receiver_events(health_platform).count("receiver.updated") == 1

    fake.options.gps_good = 2  # GNSS weakens
    await service.poll_round()
    stored = health_platform.receivers.get(receiver["id"])
    assert stored["health"]["gnss"] == "weak" and stored["health"]["tdoa_ready"] is False
    assert receiver_events(health_platform).count("receiver.updated") == 2
    assert fake.status_requests == 5  # one per round, the create's included


async def test_a_receiver_that_stops_answering_is_not_ok(health_platform, fake_kiwi) -> None:
    fake = await fake_kiwi()
    service = health_platform.receiver_health
    url = fake.url
    receiver = await service.create({"kind": "kiwisdr", "url": url})
    await fake.stop()
    assert (await service.poll_round()).failed == 1
    health = health_platform.receivers.get(receiver["id"])["health"]
    assert health["ok"] is False and health["status"] == "down" and health["refusal"] == "unreachable"
    assert url.removeprefix("http://") in health["reason"]
    assert health["last_ok_at"] == receiver["health"]["checked_at"] and health["tdoa_ready"] is False
    events = receiver_events(health_platform)
    assert events.count("receiver.updated") == 1 and events[-1] == "receiver.updated"
    assert (await service.poll_round()).changed == 0  # still down, for the same reason: no news


async def test_check_now_and_what_cannot_be_checked(health_platform, fake_kiwi, expect_error) -> None:
    fake = await fake_kiwi()
    service = health_platform.receiver_health
    receiver = health_platform.receivers.create({"name": "k", "kind": "kiwisdr", "url": fake.url, "lat": 1, "lon": 2,
                                                 "enabled": False})
    assert receiver["health"] is None
    checked = await service.check(receiver["id"])
    assert checked["health"]["ok"] is True and checked["lat"] == 1  # a check never rewrites the receiver's fields
    assert (await service.poll_round()).checked == 0  # disabled receivers are not polled
    sim = health_platform.receivers.create({"name": "sim", "kind": "simulated", "lat": 1, "lon": 1})
    with pytest.raises(InvalidInput, match="no status page"):
        await service.check(sim["id"])


async def test_recently_checked_receivers_are_skipped(make_platform, fake_kiwi) -> None:
    """Two API processes polling one deployment: whoever comes second finds the check fresh and skips it."""
    platform = make_platform(receiver_health_interval_s=600, receiver_health_host_gap_s=0)
    fake = await fake_kiwi()
    await platform.receiver_health.create({"kind": "kiwisdr", "url": fake.url})
    assert await platform.receiver_health.poll_round() == HealthRound(checked=0, changed=0, failed=0, skipped=1)
    assert fake.status_requests == 1
    names = [task.name for task in platform.periodic_tasks()]
    assert "receiver-health" in names
    task = next(task for task in platform.periodic_tasks() if task.name == "receiver-health")
    assert task.interval_s == 600 and task.first_delay_s == 30.0


async def test_a_stopping_process_asks_no_more_receivers(health_platform, fake_kiwi) -> None:
    fake = await fake_kiwi()
    service = health_platform.receiver_health
    await service.create({"kind": "kiwisdr", "url": fake.url})
    service.stop()
    assert (await service.poll_round()).checked == 0
    service.start()
    assert (await service.poll_round()).checked == 1
    assert fake.status_requests == 2


async def test_receivers_on_one_host_are_asked_one_after_the_other(make_platform, fake_kiwi) -> None:
    platform = make_platform(receiver_health_interval_s=0, receiver_health_host_gap_s=0.2)
    fakes = [await fake_kiwi(name=f"K{i}") for i in range(3)]  # all on 127.0.0.1
    for fake in fakes:
        await platform.receiver_health.create({"kind": "kiwisdr", "url": fake.url})
    started = asyncio.get_running_loop().time()
    assert (await platform.receiver_health.poll_round()).checked == 3
    assert asyncio.get_running_loop().time() - started >= 0.4  # two gaps: never at once, however fast the host


def test_no_poller_with_an_interval_of_zero(health_platform) -> None:
    assert "receiver-health" not in [task.name for task in health_platform.periodic_tasks()]


async def test_an_openwebrx_from_its_url_and_polled(health_platform) -> None:
    from heimdall.receivers.simulated.openwebrx_server import FakeOpenWebRxOptions, FakeOpenWebRxServer

    options = FakeOpenWebRxOptions(name="owrx", lat_deg=47.5, lon_deg=19.0, max_clients=3, legacy_status=True)
    async with FakeOpenWebRxServer(lambda t_s: None, options) as server:
        receiver = await health_platform.receiver_health.create({"kind": "openwebrx", "url": server.url})
        assert (receiver["name"], receiver["lat"], receiver["lon"]) == ("owrx", 47.5, 19.0)
        assert receiver["capabilities"] == ["rss"] and receiver["timing"] == "none"
        assert receiver["url"] == server.url.rstrip("/") and receiver["health"]["users"] == 0
        assert receiver["health"]["tdoa_ready"] is False and receiver["health"]["status"] == "ok"
        server.options = dataclasses.replace(server.options, other_users=2)  # one free slot left: not ours
        assert (await health_platform.receiver_health.poll_round()).changed == 1
        health = health_platform.receivers.get(receiver["id"])["health"]
        assert health["free_slots"] == 1 and health["can_take_user"] is False and health["status"] == "degraded"
