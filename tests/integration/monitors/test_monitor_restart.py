"""A server restart during a watch: the job is paused for the restart and resumed by the next server;
the tracker is rebuilt from the stored fixes, so later fixes join the same track, and no over is
stored twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from support.platform import api_client

from .scenario import FREQUENCY_HZ, FakeNetwork, Scenario
from .test_monitor_watch import OPTIONS, job_status, make_network, time_of, transmissions, wait_for


def fixes(http: Any, monitor_id: str) -> int:
    return sum(t["localization_id"] is not None for t in transmissions(http, monitor_id))


def test_a_server_restart_resumes_the_watch(make_platform: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    scenario = Scenario()
    with FakeNetwork(scenario) as fakes:
        with api_client(make_platform(inline_jobs=False, data_dir=data_dir)) as http:
            body = {"network_id": make_network(http, fakes), "channels": [{"frequency_hz": FREQUENCY_HZ}],
                    "options": OPTIONS}
            created = http.post("/monitors", json=body).json()
            monitor_id, job_id = created["monitor"]["id"], created["job"]["id"]
            wait_for("3 fixes", lambda: fixes(http, monitor_id) >= 3)
        with api_client(make_platform(inline_jobs=False, data_dir=data_dir)) as http:
            wait_for("the watch resumed", lambda: job_status(http, job_id) == "running")
            before = fixes(http, monitor_id)
            wait_for("3 more fixes", lambda: fixes(http, monitor_id) >= before + 3)
            assert http.post(f"/jobs/{job_id}/cancel").status_code == 200
            wait_for("cancelled", lambda: job_status(http, job_id) == "cancelled")
            heard = transmissions(http, monitor_id)
            tracks = http.get(f"/monitors/{monitor_id}/tracks").json()
    overs = Counter(scenario.over_of(time_of(t["start"])) for t in heard)
    assert max(overs.values()) == 1, overs
    assert tracks["total"] == 1, [len(t["points"]) for t in tracks["items"]]
    assert len(tracks["items"][0]["points"]) == len(heard) >= before + 3
