"""SIGTERM never waits for a localization (issue 9, item 1): ``heimdall serve`` with the largest set
the API accepts in flight exits promptly and cleanly, and the request gets 503 ``cancelled``.
Before, the localization's thread kept the process at 99 % CPU until SIGKILL."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

import httpx
import numpy as np
import pytest

from heimdall.bench.scaling import largest_document

EXIT_WITHIN_S = 30.0  # a liveness bound, generous for a loaded machine; the cancellation takes milliseconds


def _in_flight(base_url: str) -> float:
    for line in httpx.get(f"{base_url}/metrics", timeout=10).text.splitlines():
        if line.startswith("heimdall_localizations_in_flight "):
            return float(line.split()[1])
    return 0.0


@pytest.mark.slow
def test_sigterm_during_a_long_localization_exits_promptly(processes, helpers, tmp_path) -> None:
    # a budget far beyond the test: only the shutdown can stop this localization in time
    env = helpers.env(data_dir=tmp_path / "data", demo_network="false", localize_budget_s=3600, log_level="INFO")
    server = processes("serve", "serve", env).wait_ready()
    body = json.dumps(largest_document(np.random.default_rng(1)))
    answers: list[httpx.Response | Exception] = []

    def post() -> None:
        try:
            answers.append(httpx.post(f"{server.http_url}/api/v1/localize", content=body,
                                      headers={"Content-Type": "application/json"}, timeout=120))
        except httpx.HTTPError as exc:
            answers.append(exc)

    client = threading.Thread(target=post, daemon=True)
    client.start()
    deadline = time.monotonic() + 60
    while _in_flight(server.http_url) < 1:
        assert time.monotonic() < deadline and not answers, (answers, server.tail())
        time.sleep(0.02)

    server.process.send_signal(signal.SIGTERM)
    try:
        code = server.process.wait(timeout=EXIT_WITHIN_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"heimdall serve still running {EXIT_WITHIN_S} s after SIGTERM:\n{server.tail()}")
    assert code == 0, server.tail()
    client.join(30)
    (answer,) = answers
    assert isinstance(answer, httpx.Response), answer
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "cancelled", answer.text
    assert "localization stopped" in server.tail()
