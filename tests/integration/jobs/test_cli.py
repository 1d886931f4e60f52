"""`heimdall doctor` and `heimdall worker` as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HEIMDALL = Path(sys.executable).with_name("heimdall")


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("HEIMDALL_")}
    return subprocess.run([str(HEIMDALL), *args], env={**clean, "HEIMDALL_DATA_DIR": str(tmp_path), **env},
                          capture_output=True, text=True, timeout=120, check=False)


def test_doctor_reports_and_never_fails_even_with_unreachable_services(tmp_path):
    done = run(["doctor"], tmp_path, HEIMDALL_EVENTS_URL="redis://127.0.0.1:9/0",
               HEIMDALL_BROKER_URL="amqp://guest:hunter2pw@127.0.0.1:9//")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "torch:" in out and "onnxruntime:" in out and "chromium:" in out
    assert "database: embedded" in out and "blobs: embedded" in out
    assert "events: redis://127.0.0.1:9/0: UNREACHABLE" in out
    assert "broker: amqp://guest:***@127.0.0.1:9//: UNREACHABLE" in out and "hunter2pw" not in out
    assert f"data_dir: {tmp_path}" in out


def test_worker_without_a_broker_is_a_usage_error(tmp_path):
    done = run(["worker"], tmp_path)
    assert done.returncode == 2
    assert "HEIMDALL_BROKER_URL" in done.stderr and "Traceback" not in done.stderr
