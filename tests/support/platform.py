"""The test platform: ``heimdall.platform.build_platform`` over a temporary SQLite file, and a real
uvicorn (127.0.0.1, free port) serving it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from heimdall.api.app import create_app
from heimdall.api.server import ThreadedServer
from heimdall.events.hub import HubTuning
from heimdall.platform.root import Platform, build_platform
from heimdall.settings import Settings
from heimdall.store.blob import BlobStore, LocalBlobStore

COUNTING_JOB_MODULE = "heimdall.services.counting_job"

WrapBlobs = Callable[[LocalBlobStore], BlobStore]


def platform_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Everything embedded under ``data_dir``, no demo network, quiet logs, authentication off (security
    tests pass ``auth_enabled=True``); ``overrides`` win."""
    return Settings(**{"data_dir": data_dir, "demo_network": False, "starter_references": False, "log_level": "WARNING",
                       "auth_enabled": False, **overrides})


class PlatformFactory:
    """``make(inline_jobs=True, wrap_blobs=None, hub_tuning=None, **settings)`` -> a new Platform in its
    own directory under ``root``; ``close_all`` closes every one made."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: list[Platform] = []

    def __call__(self, *, inline_jobs: bool = True, wrap_blobs: WrapBlobs | None = None,
                 hub_tuning: HubTuning | None = None, **settings: Any) -> Platform:
        data_dir = settings.pop("data_dir", None) or self.root / f"platform-{len(self.made)}"
        blobs = wrap_blobs(LocalBlobStore(Path(data_dir) / "blobs")) if wrap_blobs is not None else None
        platform = build_platform(platform_settings(Path(data_dir), **settings), inline_jobs=inline_jobs,
                                  blobs=blobs, hub_tuning=hub_tuning)
        self.made.append(platform)
        return platform

    def close_all(self) -> None:
        for platform in self.made:
            platform.close()


@contextmanager
def serving(platform: Platform, static_dir: Path | None = None) -> Iterator[ThreadedServer]:
    """The app of ``platform`` on a real uvicorn; stopped (and the platform stopped) afterwards."""
    app = create_app(platform.settings, platform=platform, static_dir=static_dir)
    with ThreadedServer(app) as server:
        yield server


@contextmanager
def api_client(platform: Platform, timeout_s: float = 60.0) -> Iterator[httpx.Client]:
    """An httpx client on ``/api/v1`` of ``platform`` served by a real uvicorn."""
    with serving(platform) as server, httpx.Client(base_url=f"{server.http_url}/api/v1", timeout=timeout_s) as http:
        yield http


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The one error shape of CONTRACT section 2, with this status and code; returns the error."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error
