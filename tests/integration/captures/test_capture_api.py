"""A capture through the real API from three fake KiwiSDRs replaying the DCF77 fixture at the real pace,
with a fourth that is too busy, a fifth that drops mid-stream and a sixth reporting a position far
from its stored one (excluded) a seventh sending malformed frames and an eighth losing GNSS: the fix is within 10 km of DCF77 with
the truth inside its 95 % ellipse, and equal to locating the SigMF files the capture stored."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from heimdall.capture.locating import recordings_measurement_set
from heimdall.geo import geodetic_to_enu
from heimdall.locate import locate, parse_measurement_set
from support.kiwi_fakes import DCF77, FakeNetwork, register
from support.platform import api_client

pytestmark = pytest.mark.slow

CHI_95 = float(np.sqrt(-2 * np.log(0.05)))
WINDOW_S = 6.0


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    east, north, _ = geodetic_to_enu(a[0], a[1], 0.0, b[0], b[1], 0.0)
    return float(np.hypot(east, north))


def _inside_95(result: dict, truth: tuple[float, float]) -> float:
    east, north, _ = geodetic_to_enu(truth[0], truth[1], 0.0, result["lat"], result["lon"], 0.0)
    offset = np.array([east, north])
    return float(np.sqrt(offset @ np.linalg.solve(np.array(result["covariance_enu_m2"]), offset))) / CHI_95


def test_capture_from_three_fakes_locates_dcf77_and_records_the_failures(make_platform, fake_network: FakeNetwork,
                                                                         tmp_path: Path) -> None:
    platform = make_platform(kiwi_contact="ops@example.org")
    fakes = fake_network.start(extra=[{"name": "BUSY", "refuse": "too_busy"},
                                      {"name": "DROPS", "drop_after_s": 2.0}, {"name": "MOVED"},
                                      {"name": "GARBAGE", "garbage": "short_snd"},
                                      {"name": "NOGNSS", "lose_gnss_after_s": 1.0}])
    ids = register(platform, fakes)
    fakes[5].options.lat += 1.0  # now reports a position 111 km from the stored one
    events: list[dict] = []
    platform.publish.add_listener(events.append)
    with api_client(platform) as http:
        response = http.post("/captures", json={"receiver_ids": ids, "frequency_hz": 77_500, "duration_s": WINDOW_S})
        assert response.status_code == 202, response.text
        capture = http.get(f"/captures/{response.json()['capture']['id']}").json()
        archive = http.get(f"/captures/{capture['id']}/recordings.zip")
        spectrogram = http.get(f"/captures/{capture['id']}/receivers/{ids[0]}/spectrogram")
        listed = http.get("/captures").json()
        overlays = http.get(f"/localizations/{capture['localization_id']}/overlays")
        relocated = http.post(f"/captures/{capture['id']}/locate", json={"options": {"method": "classical"}})
        bad_option = http.post(f"/captures/{capture['id']}/locate", json={"options": {"nope": 1}})
        after = http.get(f"/captures/{capture['id']}").json()

    assert capture["status"] == "completed", (capture["error"], capture["receivers"])
    states = {r["name"]: r for r in capture["receivers"]}
    assert [states[n]["state"] for n in ("DF0KL", "F1JEK", "HB9RYZ")] == ["done"] * 3
    assert states["BUSY"]["state"] == "failed" and "busy" in states["BUSY"]["reason"]
    assert states["DROPS"]["state"] == "failed" and states["DROPS"]["reason"]
    assert states["MOVED"]["state"] == "excluded" and "position" in states["MOVED"]["reason"]
    assert states["GARBAGE"]["state"] == "failed" and states["GARBAGE"]["reason"]
    assert states["NOGNSS"]["state"] == "failed" and "GNSS" in states["NOGNSS"]["reason"]
    assert all(states[n]["has_recording"] and states[n]["gnss_ok"] for n in ("DF0KL", "F1JEK", "HB9RYZ"))
    assert sorted(capture["used_receiver_ids"]) == sorted(ids[:3])
    assert {e["receiver_id"] for e in capture["excluded"]} == set(ids[3:])

    fix = capture["localization"]
    assert fix["capture_id"] == capture["id"] and fix["id"] == capture["localization_id"]
    miss_m = _distance_m((fix["lat"], fix["lon"]), DCF77)
    print(f"\ncapture fix {fix['lat']:.4f} N {fix['lon']:.4f} E: {miss_m / 1e3:.2f} km from DCF77, "
          f"{_inside_95(fix, DCF77):.2f} of the 95 % ellipse")
    assert miss_m < 10_000.0
    assert _inside_95(fix, DCF77) < 1.0

    folder = tmp_path / "zip"
    zipfile.ZipFile(io.BytesIO(archive.content)).extractall(folder)
    recorded = [*ids[:3], ids[5]]  # the excluded one's recording is kept too
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{i}.sigmf-{part}" for i in recorded
                                                              for part in ("data", "meta"))
    doc, _ = recordings_measurement_set([folder / f"{i}.sigmf-meta" for i in capture["used_receiver_ids"]], None)
    again = locate(parse_measurement_set(doc))
    assert _distance_m((again.lat, again.lon), (fix["lat"], fix["lon"])) < 300.0

    assert relocated.status_code == 200, relocated.text
    assert relocated.json()["capture_id"] == capture["id"] and after["localization_id"] == relocated.json()["id"]
    assert _distance_m((relocated.json()["lat"], relocated.json()["lon"]), (fix["lat"], fix["lon"])) < 300.0
    assert bad_option.status_code == 422
    assert overlays.status_code == 200, overlays.text  # hyperbolas and ellipses for the map
    assert spectrogram.status_code == 200 and len(spectrogram.json()["power_db"]) > 10
    assert -60.0 < spectrogram.json()["full_scale_dbm"] < 60.0
    assert listed["total"] == 1 and listed["items"][0]["id"] == capture["id"]
    names = [e["event"] for e in events]
    assert "capture.updated" in names and "localization.result" in names
    result_event = next(e for e in events if e["event"] == "localization.result")
    assert result_event["data"]["capture_id"] == capture["id"]
    progress = [e["data"] for e in events if e["event"] == "job.progress"]
    assert any(set(p["receivers"]) == set(ids) for p in progress)
    assert any(p["receivers"][ids[0]]["state"] == "recording" for p in progress if ids[0] in p["receivers"])
    for fake in fakes[:3]:  # honest identity, and hung up once done
        assert "heimdall" in (fake.sessions[-1].user_agent or "") and "ops@example.org" in fake.sessions[-1].user_agent


def test_a_capture_runs_in_a_local_worker_process_as_under_heimdall_serve(make_platform,
                                                                         fake_network: FakeNetwork) -> None:
    """The executor of ``heimdall serve``: POST answers 202 at once with a queued job; a child process
    records and locates; the capture's events reach the API process's log."""
    import time

    platform = make_platform(inline_jobs=False, local_workers=1)
    ids = register(platform, fake_network.start())
    with api_client(platform) as http:
        response = http.post("/captures", json={"receiver_ids": ids, "frequency_hz": 77_500, "duration_s": 4})
        assert response.status_code == 202 and response.json()["capture"]["status"] in ("queued", "running")
        capture_id = response.json()["capture"]["id"]
        deadline = time.monotonic() + 120
        capture = http.get(f"/captures/{capture_id}").json()
        while capture["status"] not in ("completed", "failed", "cancelled") and time.monotonic() < deadline:
            time.sleep(0.5)
            capture = http.get(f"/captures/{capture_id}").json()
        events = http.get(f"/jobs/{capture['job_id']}/events").json()
    assert capture["status"] == "completed", capture["error"]
    assert capture["localization"]["capture_id"] == capture_id
    assert any(e["event"] == "job.progress" and "receivers" in e["data"] for e in events["items"])
