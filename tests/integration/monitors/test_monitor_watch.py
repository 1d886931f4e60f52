"""A monitor over fake receivers, end to end: the real platform and API (uvicorn, local worker
process), a transmitter keying on and off while it drives past three KrakenSDR stations and two
OpenWebRX receivers, one of which keeps dropping. Checked: one fix per transmission, the track
following the path within its own 95 % region, CoT over UDP with TAK's required fields, pause and
resume without duplicates, a dropping receiver marked while the watch goes on, and the exports."""

from __future__ import annotations

import socket
import time
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
import numpy as np

from heimdall.cot import parse_event
from heimdall.geo import geodetic_to_enu
from heimdall.locate.result import Ellipse
from support.platform import api_client

from .scenario import FREQUENCY_HZ, FakeNetwork, Scenario

WAIT_S = 90.0
OPTIONS = {"grouping": {"settle_s": 1.0}, "poll_interval_s": 0.2, "reconnect_s": 1.0}


def wait_for(what: str, check: Any, timeout_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def transmissions(http: httpx.Client, monitor_id: str) -> list[dict[str, Any]]:
    page = http.get(f"/monitors/{monitor_id}/transmissions", params={"limit": 1000}).json()
    return list(page["items"])


def job_status(http: httpx.Client, job_id: str) -> str:
    return str(http.get(f"/jobs/{job_id}").json()["status"])


def inside_95(point: dict[str, Any], truth: tuple[float, float]) -> bool:
    east, north, _ = geodetic_to_enu(truth[0], truth[1], 0.0, point["filtered"]["lat"], point["filtered"]["lon"], 0.0)
    region = point["filtered"]["ellipse_95"]
    return Ellipse(0.95, region["semi_major_m"], region["semi_minor_m"], region["orientation_deg"]).contains(
        float(east), float(north))


def make_network(http: httpx.Client, fakes: FakeNetwork) -> str:
    ids = [http.post("/receivers", json=fields).json()["id"] for fields in fakes.receiver_fields()]
    return str(http.post("/networks", json={"name": "mixed", "receiver_ids": ids}).json()["id"])


def test_monitor_watches_a_moving_transmitter(make_platform: Any) -> None:
    scenario = Scenario(owrx_drop_after_s=7.0)
    platform = make_platform(inline_jobs=False)
    with FakeNetwork(scenario) as fakes, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tak, \
            api_client(platform) as http:
        tak.bind(("127.0.0.1", 0))
        tak.settimeout(0.1)
        body = {"network_id": make_network(http, fakes), "channels": [{"frequency_hz": FREQUENCY_HZ}],
                "cot": [{"url": f"udp://127.0.0.1:{tak.getsockname()[1]}"}], "options": OPTIONS}
        created = http.post("/monitors", json=body)
        assert created.status_code == 202, created.text
        monitor_id, job_id = created.json()["monitor"]["id"], created.json()["job"]["id"]

        wait_for("4 fixes", lambda: sum(t["localization_id"] is not None for t in transmissions(http, monitor_id)) >= 4)
        assert http.post(f"/jobs/{job_id}/pause").status_code == 200
        wait_for("paused", lambda: job_status(http, job_id) == "paused")
        paused = http.get(f"/monitors/{monitor_id}").json()
        assert paused["status"] == "paused"
        assert {(r["state"], r["reason"]) for r in paused["receivers"]} == {("connecting", "the watch is stopped")}
        assert http.post(f"/jobs/{job_id}/resume").status_code == 200
        before = len(transmissions(http, monitor_id))
        wait_for("4 more fixes after resuming", lambda: sum(
            t["localization_id"] is not None for t in transmissions(http, monitor_id)) >= before + 4)
        monitor = http.get(f"/monitors/{monitor_id}").json()
        assert http.delete(f"/monitors/{monitor_id}").status_code == 409  # watching: stop it first
        assert http.post(f"/jobs/{job_id}/cancel").status_code == 200
        wait_for("cancelled", lambda: job_status(http, job_id) == "cancelled")

        heard = transmissions(http, monitor_id)
        tracks = http.get(f"/monitors/{monitor_id}/tracks").json()
        cot = received_cot(tak)
        check_exports(http, monitor_id, tracks["items"][0])
        assert http.delete(f"/monitors/{monitor_id}").status_code == 204
        assert http.get(f"/monitors/{monitor_id}/tracks").status_code == 404
    check_transmissions(heard, scenario)
    check_track(tracks, scenario)
    check_receivers(monitor)
    check_cot(cot, monitor_id, heard)
    check_events(platform.publish.log.replay([f"monitor:{monitor_id}", "monitors", "localizations"], 0, limit=10_000),
                 monitor_id, heard)


def check_events(events: list[dict[str, Any]], monitor_id: str, heard: list[dict[str, Any]]) -> None:
    """What the Monitor page lives on: levels (batched), transmissions, track updates, bearings, results."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_name.setdefault(event["event"], []).append(event)
    fixed = {t["localization_id"] for t in heard}
    assert {e["data"]["id"] for e in by_name["monitor.transmission"]} == {t["id"] for t in heard}
    results = [e["data"] for e in by_name["localization.result"] if e["data"].get("monitor_id") == monitor_id]
    assert {r["id"] for r in results} == fixed and all(r["track_id"] for r in results)
    assert len(by_name["track.updated"]) == len(fixed)
    assert all(len(e["data"]["points"]) == 1 for e in by_name["track.updated"])
    levels = by_name["monitor.level"]
    span_s = time_of(levels[-1]["timestamp"]) - time_of(levels[0]["timestamp"])
    assert len(levels) <= 2.5 * span_s + 10  # batched: never one event per reading
    assert max(len(e["data"]["readings"]) for e in levels) == 5
    stations = {e["data"]["station"] for e in by_name["monitor.bearing"]}
    assert stations == {"kraken-n", "kraken-sw", "kraken-se"}
    assert any(e["topic"] == "monitors" and e["data"]["id"] == monitor_id for e in by_name["monitor.updated"])


def check_transmissions(heard: list[dict[str, Any]], scenario: Scenario) -> None:
    """One transmission per over, each with a fix (all five receivers hear every over)."""
    overs = Counter(scenario.over_of(time_of(t["start"])) for t in heard)
    assert max(overs.values()) == 1, f"an over was stored twice: {overs}"
    fixed = [t for t in heard if t["localization_id"] is not None]
    assert len(fixed) >= 8 and len(fixed) == len(heard), [t["reason"] for t in heard]
    assert all(t["frequency_hz"] == FREQUENCY_HZ and len(t["receiver_ids"]) >= 3 for t in heard)
    assert len({t["id"] for t in heard}) == len(heard)


def check_track(tracks: dict[str, Any], scenario: Scenario) -> None:
    """The track follows the path within its own 95 % region in at least 90 % of fixes."""
    points = [p for track in tracks["items"] for p in track["points"]]
    longest = max(tracks["items"], key=lambda t: len(t["points"]))
    assert len(longest["points"]) >= 0.9 * len(points), [len(t["points"]) for t in tracks["items"]]
    covered = [inside_95(p, scenario.position(time_of(p["time"]))) for p in longest["points"]]
    assert np.mean(covered) >= 0.9, covered
    assert longest["points"][-1]["filtered"]["speed_m_s"] > 3.0  # it learnt the motion


def check_receivers(monitor: dict[str, Any]) -> None:
    """owrx-e drops every 7 s: it is marked with the reason while the others listen."""
    states = {r["name"]: r for r in monitor["receivers"]}
    assert set(states) == {"kraken-n", "kraken-sw", "kraken-se", "owrx-w", "owrx-e"}
    assert all(states[name]["state"] == "listening" for name in ("kraken-n", "kraken-sw", "kraken-se", "owrx-w"))
    assert states["owrx-e"].get("failures", 0) >= 1 and "dropped" in states["owrx-e"]["last_failure"]
    assert monitor["counts"]["fixes"] >= 8


def received_cot(tak: socket.socket) -> list[bytes]:
    datagrams = []
    while True:
        try:
            datagrams.append(tak.recv(65536))
        except TimeoutError:
            return datagrams


def check_cot(datagrams: list[bytes], monitor_id: str, heard: list[dict[str, Any]]) -> None:
    """A fix event and a track event per fix, each valid with the fields TAK requires."""
    events = [parse_event(data) for data in datagrams]
    fixes = {e.uid.removeprefix("heimdall.fix.") for e in events if e.uid.startswith("heimdall.fix.")}
    assert fixes == {t["localization_id"] for t in heard}
    assert any(e.uid.startswith("heimdall.track.") for e in events)
    for event in events:
        assert event.type == "a-u-G" and event.how == "m-f" and event.stale > event.start
        assert event.ce > 0 and event.le >= 0 and -90 <= event.lat <= 90
        assert event.to_dict()["detail"]["__heimdall"]["monitor_id"] == monitor_id


def check_exports(http: httpx.Client, monitor_id: str, track: dict[str, Any]) -> None:
    base = f"/monitors/{monitor_id}/tracks/{track['id']}"
    geojson = http.get(f"{base}.geojson")
    assert geojson.status_code == 200 and geojson.json()["type"] == "FeatureCollection"
    assert http.get(f"{base}.kml").text.startswith("<?xml")
    assert len(http.get(f"{base}.csv").text.strip().splitlines()) == len(track["points"]) + 1
    first = track["points"][0]["localization_id"]
    excluded = http.post(f"/monitors/{monitor_id}/exclusions", json={"localization_id": first, "note": "reflection"})
    assert excluded.status_code == 200, excluded.text
    point = next(p for p in excluded.json()["points"] if p["localization_id"] == first)
    assert point["excluded"] and point["note"] == "reflection" and point["filtered"] is None


def time_of(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()

