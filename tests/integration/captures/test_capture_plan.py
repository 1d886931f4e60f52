"""``POST /captures/plan``: receivers ranked by GNSS health and free slots, the geometry's expected error,
and warnings for too few usable receivers or a line of them."""

from __future__ import annotations

from typing import Any

from support.kiwi_fakes import FakeNetwork, register
from support.platform import api_client


def _plan(platform: Any, ids: list[str]) -> dict[str, Any]:
    with api_client(platform) as http:
        response = http.post("/captures/plan", json={"receiver_ids": ids, "frequency_hz": 77_500})
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()
    return plan


def test_plan_ranks_healthy_receivers_first_and_says_why_others_score_zero(make_platform,
                                                                          fake_network: FakeNetwork) -> None:
    platform = make_platform()
    fakes = fake_network.start(extra=[{"name": "FULL", "users_busy": 3}, {"name": "NOGPS", "gps_good": 0}])
    ids = register(platform, fakes)
    plan = _plan(platform, ids)
    by_name = {r["name"]: r for r in plan["receivers"]}
    assert [r["name"] for r in plan["receivers"][:3]] == sorted(["DF0KL", "F1JEK", "HB9RYZ"],
                                                                key=lambda n: -by_name[n]["score"])
    assert all(by_name[n]["score"] > 0 and by_name[n]["gnss_ok"] and by_name[n]["free_slots"] == 4
               for n in ("DF0KL", "F1JEK", "HB9RYZ"))
    assert by_name["FULL"]["score"] == 0 and by_name["FULL"]["free_slots"] == 1
    assert any("last one" in reason for reason in by_name["FULL"]["reasons"])
    assert by_name["NOGPS"]["score"] == 0 and not by_name["NOGPS"]["gnss_ok"]
    assert plan["expected_error_m"] is not None and 100.0 < plan["expected_error_m"] < 1e6
    assert plan["warnings"] == []


def test_plan_warns_about_a_line_of_receivers_and_too_few(make_platform, fake_network: FakeNetwork) -> None:
    platform = make_platform()
    fakes = fake_network.start()
    for index, fake in enumerate(fakes):  # stored on a line from north to south
        fake.options.lat, fake.options.lon = 48.0 + index, 8.0 + 0.001 * index
    ids = register(platform, fakes)
    assert any("line" in w for w in _plan(platform, ids)["warnings"])
    unreachable = platform.receivers.create({"name": "gone", "kind": "kiwisdr", "url": "http://127.0.0.1:9",
                                             "lat": 45.0, "lon": 2.0})["id"]
    plan = _plan(platform, [*ids[:2], unreachable])
    assert any("only 2 usable" in w for w in plan["warnings"]) and plan["expected_error_m"] is None
    gone = next(r for r in plan["receivers"] if r["name"] == "gone")
    assert gone["score"] == 0 and gone["reasons"][0].startswith("status page:")
