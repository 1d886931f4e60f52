"""``heimdall monitor`` as a real subprocess over the fake mixed network: one line per fix on stdout,
Ctrl-C cancels the watch and exits 0; bad input exits 2 with one line on stderr."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from heimdall.platform.root import Platform

from .scenario import FakeNetwork, Scenario

HEIMDALL = Path(sys.executable).with_name("heimdall")


def run_cli(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEIMDALL_")}
    env.update(HEIMDALL_DEMO_NETWORK="false", HEIMDALL_LOG_LEVEL="WARNING")
    return subprocess.Popen([str(HEIMDALL), "monitor", "--data-dir", str(data_dir), *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def store_network(platform: Platform, fakes: FakeNetwork) -> None:
    ids = [platform.receivers.create(fields)["id"] for fields in fakes.receiver_fields()]
    platform.networks.create({"name": "mixed", "receiver_ids": ids})


def read_fix_lines(proc: subprocess.Popen[str], count: int, timeout_s: float = 120.0) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while len(lines) < count and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if ready:
            line = proc.stdout.readline()
            assert line, f"the monitor exited: {proc.stderr.read() if proc.stderr else ''}"
            lines.append(line.strip())
    assert len(lines) == count, lines
    return lines


def test_monitor_prints_fixes_until_ctrl_c(make_platform: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with FakeNetwork(Scenario()) as fakes:
        platform = make_platform(data_dir=data_dir)
        store_network(platform, fakes)
        platform.close()
        proc = run_cli(data_dir, "--network", "mixed", "--freq", "145.5M")
        try:
            lines = read_fix_lines(proc, 2)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=90)
        finally:
            proc.kill()
    assert proc.returncode == 0, err
    for line in lines:
        assert "145500000Hz lat=45.0" in line and "95%=" in line and "track=" in line and "kraken-n" in line
    assert "stopping the watch" in err and "kraken-n: listening" in err and "owrx-w: listening" in err
    with make_platform(data_dir=data_dir) as again:
        [monitor] = again.monitors.list()["items"]
        assert monitor["status"] == "cancelled" and monitor["counts"]["fixes"] >= 2


@pytest.mark.parametrize(("args", "words"), [
    (("--network", "mixed", "--freq", "fast"), "expected a frequency"),
    (("--network", "nope", "--freq", "145.5M"), "no network named 'nope'"),
    (("--network", "mixed", "--freq", "145.5M", "--cot", "http://x"), "udp://HOST:PORT"),
])
def test_bad_input_exits_2(make_platform: Any, tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    data_dir = tmp_path / "data"
    with make_platform(data_dir=data_dir) as platform:
        ids = [platform.receivers.create({"name": f"k{i}", "kind": "kraken", "url": f"http://k{i}/", "lat": 45.0,
                                          "lon": 7.5 + i / 10})["id"] for i in range(3)]
        platform.networks.create({"name": "mixed", "receiver_ids": ids})
    proc = run_cli(data_dir, *args)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err
