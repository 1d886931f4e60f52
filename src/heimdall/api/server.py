"""Running the app under uvicorn: in the foreground (``heimdall serve``) or in a background thread
(tests and the events benchmark, which need a real server on a real port)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType

import uvicorn
from fastapi import FastAPI

from heimdall.errors import StorageError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def uvicorn_config(app: FastAPI, host: str, port: int, *, log_level: str = "warning") -> uvicorn.Config:
    # Our RequestContext middleware logs each request once, with its id: no uvicorn access log.
    return uvicorn.Config(app, host=host, port=port, log_level=log_level.lower(), access_log=False,
                          lifespan="on", ws="websockets-sansio", timeout_graceful_shutdown=10, log_config=None,
                          # Events are encoded once for all clients; per-connection deflate would
                          # compress each one again for every client.
                          ws_per_message_deflate=False)


class ForegroundServer(uvicorn.Server):
    """uvicorn for ``heimdall serve``: SIGINT/SIGTERM start a graceful shutdown (a second one forces it),
    and the process then exits normally instead of re-raising the signal as a KeyboardInterrupt.

    ``on_exit`` runs at the first signal, before uvicorn waits for requests in flight: it stops
    the work that would otherwise hold the shutdown up (localizations, which answer 503 at once).
    """

    def __init__(self, config: uvicorn.Config, *, on_exit: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._on_exit is not None and not self.should_exit:
            self._on_exit()
        # Unlike uvicorn's own, does not record the signal to re-raise it after the shutdown.
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            self.should_exit = True


class ThreadedServer:
    """A real uvicorn server on ``host:port`` in a daemon thread; ``with`` starts and stops it."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.server = uvicorn.Server(uvicorn_config(app, self.host, self.port))
        self._thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws"

    def start(self, timeout_s: float = 20.0) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise StorageError(f"uvicorn did not start on {self.host}:{self.port}")
            time.sleep(0.02)
        return self

    def stop(self, timeout_s: float = 20.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout_s)

    def __enter__(self) -> ThreadedServer:  # noqa: PYI034 - not meant to be subclassed
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
