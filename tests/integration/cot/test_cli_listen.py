"""`heimdall cot listen` as a real subprocess, fed over real loopback sockets."""

from __future__ import annotations

import json
import os
import re
import select
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

from heimdall.cot import fix_event

HEIMDALL = Path(sys.executable).with_name("heimdall")
RESULT = {"lat": 45.01, "lon": 7.53, "alt_m": None, "covariance_enu_m2": [[1.2e6, 3.0e4], [3.0e4, 9.0e5]],
          "method": "classical:rss"}


def start(*args: str) -> tuple[subprocess.Popen[str], int]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("HEIMDALL_")}
    proc = subprocess.Popen([str(HEIMDALL), "cot", "listen", *args], env=clean, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], 60.0)
    assert ready, "the listener never said where it listens"
    line = proc.stderr.readline()
    match = re.search(r"listening for CoT on (udp|tcp) 127\.0\.0\.1:(\d+)", line)
    assert match, line
    return proc, int(match.group(2))


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    return out, err


def test_listen_udp_prints_one_json_line_per_event() -> None:
    proc, port = start("--udp", "0", "--json", "--count", "1")
    event = fix_event(RESULT, fix_id="fix-1", time_s=1.8e9, now_s=1.8e9, monitor_id="mon-7")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"<event>garbage</event>", ("127.0.0.1", port))
        udp.sendto(event.to_xml(), ("127.0.0.1", port))
    out, err = finish(proc)
    [line] = out.splitlines()
    received = json.loads(line)
    assert received["uid"] == "heimdall.fix.fix-1" and received["type"] == "a-u-G" and received["how"] == "m-f"
    assert np.isclose(received["point"]["lat"], 45.01) and received["point"]["ce"] == event.ce
    assert received["detail"]["__heimdall"]["monitor_id"] == "mon-7"
    assert "ignored an invalid CoT event" in err and "version" in err


def test_listen_tcp_prints_one_line_per_event() -> None:
    proc, port = start("--tcp", "0", "--count", "2")
    events = [fix_event(RESULT, fix_id=f"fix-{n}", time_s=1.8e9, now_s=1.8e9) for n in (1, 2)]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as tcp:
        tcp.sendall(events[0].to_xml() + b"\n" + events[1].to_xml())
        out, _ = finish(proc)
    lines = out.splitlines()
    assert len(lines) == 2 and "heimdall.fix.fix-1 type=a-u-G how=m-f lat=45.0100000" in lines[0]
    assert f"ce={events[0].ce:.1f}m le=unknown" in lines[0] and "| Heimdall fix fix-2" in lines[1]


def test_bad_usage_is_one_line() -> None:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("HEIMDALL_")}
    both = subprocess.run([str(HEIMDALL), "cot", "listen", "--udp", "1", "--tcp", "2"], env=clean,
                          capture_output=True, text=True, timeout=60, check=False)
    assert both.returncode == 2 and len(both.stderr.splitlines()) == 1 and "exactly one of" in both.stderr
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        busy = subprocess.run([str(HEIMDALL), "cot", "listen", "--udp", str(taken.getsockname()[1])], env=clean,
                              capture_output=True, text=True, timeout=60, check=False)
    assert busy.returncode == 2 and busy.stderr.startswith("heimdall: cannot listen on udp")
    assert "Traceback" not in busy.stderr
