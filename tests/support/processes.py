"""``heimdall serve`` / ``heimdall worker`` (and other) subprocesses whose output goes to a log file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

import httpx

from heimdall.api.server import free_port

BIN = Path(sys.executable).parent
T = TypeVar("T")

__all__ = ["BIN", "Process", "Processes", "ServeProcess", "descendants", "free_port", "heimdall_env", "pid_alive"]


def heimdall_env(**settings: object) -> dict[str, str]:
    """This process's environment without any HEIMDALL_ variable, plus ``settings`` as HEIMDALL_ ones
    (authentication off unless ``auth_enabled`` says otherwise)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEIMDALL_")}
    env["HEIMDALL_AUTH_ENABLED"] = "false"
    env.update({f"HEIMDALL_{key.upper()}": str(value) for key, value in settings.items()})
    return env


class Process:
    """A child process whose output goes to a log file; stopped with a signal, killed as a last resort."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGINT, timeout_s: float = 30.0) -> int:
        if self.alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        return self.process.returncode

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


class ServeProcess(Process):
    """``heimdall serve`` on a free port of 127.0.0.1."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        super().__init__(name, [str(BIN / "heimdall"), "serve", "--port", str(self.port)], env, log_dir)
        self.http_url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"

    def wait_ready(self, timeout_s: float = 60.0) -> ServeProcess:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.alive(), f"{self.name} exited:\n{self.tail()}"
            try:
                if httpx.get(f"{self.http_url}/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not become ready:\n{self.tail()}")


class Processes:
    """Start processes through this; ``stop_all`` stops them (last started first), then leaves every
    context entered with ``enter`` (e.g. a moto server)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[Process] = []
        self._contexts = contextlib.ExitStack()

    def enter(self, context: AbstractContextManager[T]) -> T:
        return self._contexts.enter_context(context)

    def __call__(self, kind: str, name: str, env: dict[str, str], argv: list[str] | None = None) -> Process:
        process = (ServeProcess(name, env, self.log_dir) if kind == "serve"
                   else Process(name, argv or [], env, self.log_dir))
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop(signal.SIGTERM)
        self._contexts.close()


def descendants(pid: int) -> set[int]:
    """Every live descendant process of ``pid`` (Linux /proc)."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()
