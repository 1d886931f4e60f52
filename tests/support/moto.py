"""An S3 endpoint: a real ``moto_server`` process on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.processes import BIN, free_port
from support.services import AWS_ENV

START_TIMEOUT_S = 30.0


@contextmanager
def moto_server(log_dir: Path) -> Iterator[str]:
    """Start moto_server, yield its endpoint URL, stop it afterwards."""
    port = free_port()
    with open(log_dir / f"moto-{port}.log", "wb") as log:
        process = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                                   env={**os.environ, **AWS_ENV}, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_listening(process, port)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_listening(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("moto_server did not start") from None
            time.sleep(0.1)
