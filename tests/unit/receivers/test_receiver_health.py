"""Health and self-description from a receiver's status page: what counts as TDoA-ready and as room for one
more user, what a change is, and every way a server can fail to answer as its kind (httpx MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from heimdall.errors import InvalidInput
from heimdall.receivers.health import (
    HEALTH_KEYS,
    failed_health,
    health_changed,
    kiwi_health,
    openwebrx_health,
    probe_receiver,
)
from heimdall.receivers.kiwisdr.status import parse_status
from heimdall.receivers.openwebrx.status import parse_status as parse_owrx_status
from heimdall.receivers.states import ReceiverRefused, RefusalReason

GOOD = {"status": "active", "offline": "no", "name": "DF0KL", "users": "1", "users_max": "4",
        "gps": "(53.665337, 7.282766)", "gps_good": "8", "fixes": "1234", "fixes_min": "6", "tdoa_ch": "4",
        "asl": "12", "loc": "Borkum", "sw_version": "KiwiSDR_v1.820", "antenna": "mini-whip", "uptime": "86400",
        "bands": "0-30000000"}


def page(**changes: str) -> str:
    return "".join(f"{key}={value}\n" for key, value in {**GOOD, **changes}.items())


def kiwi(**changes: str) -> dict[str, object]:
    return kiwi_health(parse_status(page(**changes)))


def test_a_healthy_kiwi_is_tdoa_ready_with_room_for_us() -> None:
    health = kiwi()
    assert set(health) == set(HEALTH_KEYS)
    assert health["ok"] is True and health["status"] == "ok" and health["reason"] is None
    assert health["password_required"] is False and kiwi(auth="password")["password_required"] is True
    assert health["gnss"] == "ok" and health["gps_fix"] is True and health["gps_satellites"] == 8
    assert health["gps_fixes_per_min"] == 6 and health["users"] == 1 and health["users_max"] == 4
    assert health["free_slots"] == 3 and health["can_take_user"] is True
    assert health["tdoa_ready"] is True and "4 satellites" in health["tdoa_reason"]
    assert (health["uptime_s"], health["antenna"], health["location"], health["version"]) == (
        86400, "mini-whip", "Borkum", "KiwiSDR_v1.820")


@pytest.mark.parametrize(("changes", "gnss", "why"), [
    ({"tdoa_ch": "-1"}, "ok", "tdoa_ch=-1"),
    ({"gps_good": "3"}, "weak", "only 3 satellites"),
    ({"gps_good": "6", "fixes_min": "0"}, "weak", "no GNSS fix in the last minute"),
    ({"gps_good": "0", "fixes_min": "0"}, "none", "no GNSS fix"),
])
def test_gnss_not_good_enough_for_tdoa_says_why(changes: dict[str, str], gnss: str, why: str) -> None:
    health = kiwi(**changes)
    assert health["gnss"] == gnss and health["tdoa_ready"] is False and why in health["tdoa_reason"]
    assert health["ok"] is True and health["status"] == "degraded" and health["reason"] == health["tdoa_reason"]


def test_the_last_free_slot_is_not_ours_to_take() -> None:
    health = kiwi(users="3")
    assert health["free_slots"] == 1 and health["can_take_user"] is False
    assert health["status"] == "degraded" and "leave none" in health["reason"]
    full = kiwi(users="4")
    assert full["free_slots"] == 0 and full["can_take_user"] is False
    unknown = kiwi_health(parse_status(page().replace("users=1\n", "")))
    assert unknown["free_slots"] is None and unknown["can_take_user"] is None and unknown["status"] == "ok"


def test_an_offline_kiwi_is_down() -> None:
    health = kiwi(status="offline", offline="yes")
    assert health["ok"] is False and health["status"] == "down" and "offline" in health["reason"]
    assert health["tdoa_ready"] is False


def test_drifting_numbers_are_not_a_change_but_users_and_gnss_are() -> None:
    base = {**kiwi(), "checked_at": "2026-01-01T00:00:00.000Z"}
    later = {**kiwi(uptime="90000", fixes="2000", fixes_min="5", gps_good="9"), "checked_at": "2026-01-01T00:05:00.000Z"}
    assert not health_changed(base, later)
    assert health_changed(base, kiwi(users="2"))
    assert health_changed(base, kiwi(gps_good="2"))
    assert health_changed(None, base)


def test_a_receiver_that_does_not_answer_is_not_ok_with_the_reason() -> None:
    health = failed_health(ReceiverRefused(RefusalReason.UNREACHABLE, "http://x:1/status: connection refused"))
    assert set(health) == set(HEALTH_KEYS)
    assert health["ok"] is False and health["status"] == "down" and health["refusal"] == "unreachable"
    assert health["reason"] == "http://x:1/status: connection refused" and health["tdoa_ready"] is False


def test_openwebrx_health_is_rss_only() -> None:
    status = parse_owrx_status({"receiver": {"name": "owrx", "gps": {"lat": 47.5, "lon": 19.0}, "location": "Budapest"},
                                "max_clients": 5, "clients": 4, "version": "1.2.2", "sdrs": []})
    health = openwebrx_health(status)
    assert health["ok"] is True and health["tdoa_ready"] is False and "timestamps" in health["tdoa_reason"]
    assert health["users"] == 4 and health["free_slots"] == 1 and health["can_take_user"] is False
    assert health["version"] == "1.2.2" and health["location"] == "Budapest" and health["gnss"] == "none"


Handler = Callable[[httpx.Request], httpx.Response]


async def probe(kind: str, handler: Handler, url: str = "http://rx.example:8073") -> object:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        return await probe_receiver(kind, url, timeout_s=2.0, max_bytes=64 * 1024, user_agent="test", client=http)


async def test_a_kiwi_describes_itself() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=page())

    result = await probe("kiwisdr", handler, "rx.example")
    assert seen[0].url == "http://rx.example:8073/status" and seen[0].headers["User-Agent"] == "test"
    assert result.info == {"name": "DF0KL", "kind": "kiwisdr", "url": "http://rx.example:8073", "lat": 53.665337,
                           "lon": 7.282766, "alt_m": 12.0, "capabilities": ["rss", "tdoa"], "timing": "gnss"}
    assert result.health["tdoa_ready"] is True


async def test_a_kiwi_without_gnss_has_no_tdoa_and_a_placeholder_position_is_none() -> None:
    result = await probe("kiwisdr", lambda r: httpx.Response(200, text=page(gps="(-69.000000, 90.000000)", gps_good="0")))
    assert result.info["capabilities"] == ["rss"] and result.info["timing"] == "none"
    assert "lat" not in result.info and "lon" not in result.info


@pytest.mark.parametrize(("kind", "response", "reason"), [
    ("kiwisdr", httpx.Response(200, html="<html><body>Welcome to nginx!</body></html>"), RefusalReason.NOT_THIS_KIND),
    ("kiwisdr", httpx.Response(404, text="not found"), RefusalReason.NOT_THIS_KIND),
    ("kiwisdr", httpx.Response(200, content=bytes(range(256)) * 50), RefusalReason.NOT_THIS_KIND),
    ("kiwisdr", httpx.Response(200, content=b"users=1\n" * 20_000), RefusalReason.PROTOCOL_ERROR),
    ("openwebrx", httpx.Response(200, text=page()), RefusalReason.NOT_THIS_KIND),
    ("openwebrx", httpx.Response(200, text=json.dumps({"receiver": "x"})), RefusalReason.NOT_THIS_KIND),
    ("openwebrx", httpx.Response(200, content=b"[" * 60_000), RefusalReason.NOT_THIS_KIND),
    ("openwebrx", httpx.Response(200, content=b" " * 70_000), RefusalReason.PROTOCOL_ERROR),
])
async def test_anything_but_the_kinds_status_page_is_refused(kind: str, response: httpx.Response,
                                                             reason: RefusalReason) -> None:
    with pytest.raises(ReceiverRefused) as caught:
        await probe(kind, lambda request: response)
    assert caught.value.details == {"reason": reason.value}
    assert "\n" not in caught.value.message


async def test_no_answer_is_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ReceiverRefused) as caught:
        await probe("kiwisdr", refuse)
    assert caught.value.details == {"reason": "unreachable"}


@pytest.mark.parametrize(("kind", "url"), [("kiwisdr", "ftp://rx.example"), ("openwebrx", "rx.example:8073"),
                                           ("openwebrx", "http://user:pw@rx.example"), ("kiwisdr", "http://rx:99999"),
                                           ("websdr", "http://rx.example")])
async def test_urls_and_kinds_that_cannot_be_probed_are_invalid(kind: str, url: str) -> None:
    with pytest.raises(InvalidInput):
        await probe(kind, lambda request: httpx.Response(200, text=page()), url)


async def test_an_openwebrx_describes_itself() -> None:
    doc = {"receiver": {"name": "owrx", "gps": {"lat": 47.5, "lon": 19.0}, "asl": 120}, "max_clients": 5,
           "version": "1.2.2", "sdrs": []}
    result = await probe("openwebrx", lambda request: httpx.Response(200, json=doc), "http://owrx.example:8073/")
    assert result.info == {"kind": "openwebrx", "name": "owrx", "capabilities": ["rss"], "timing": "none",
                           "lat": 47.5, "lon": 19.0, "alt_m": 120.0, "url": "http://owrx.example:8073"}
    assert result.health["ok"] is True and result.health["users_max"] == 5 and result.health["users"] is None
