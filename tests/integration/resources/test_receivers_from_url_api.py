"""``POST /receivers`` with a receiver's URL alone, ``POST /receivers/{id}/health/check``, and the 422s for URLs
that do not answer as a KiwiSDR. The fakes run on their own event loop in a thread, since the test talks to a
real uvicorn with a blocking client."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from heimdall.receivers.simulated.kiwisdr_replay import KiwiReplay, shared_clock
from heimdall.receivers.simulated.kiwisdr_server import FakeKiwiOptions, FakeKiwiSDR
from support.platform import api_client

DF0KL_WAV = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "kiwi-dcf77").glob("*DF0KL*_iq.wav"))


class ThreadedFakeKiwi:
    """A FakeKiwiSDR serving from its own event loop in a daemon thread."""

    def __init__(self, options: FakeKiwiOptions) -> None:
        if not DF0KL_WAV:
            pytest.fail("the DCF77 fixture (DF0KL) is missing")
        replay = KiwiReplay(DF0KL_WAV[0])
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeKiwiSDR(replay, shared_clock([replay]), options)
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(30)
        self.url = self.fake.url

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


@pytest.fixture
def kiwi() -> Iterator[ThreadedFakeKiwi]:
    fake = ThreadedFakeKiwi(FakeKiwiOptions(name="DF0KL", lat=53.665337, lon=7.282766, asl_m=12))
    yield fake
    fake.close()


def serve_http(body: bytes, content_type: str) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def nginx() -> Iterator[str]:
    yield from serve_http(b"<html><body>Welcome to nginx!</body></html>", "text/html")


@pytest.fixture
def garbage() -> Iterator[str]:
    yield from serve_http(bytes(range(256)) * 64, "application/octet-stream")


@pytest.fixture
def client(make_platform):
    platform = make_platform(receiver_health_interval_s=0, receiver_health_timeout_s=5)
    with api_client(platform) as http:
        yield http


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_kiwi_from_its_url_alone(client, kiwi) -> None:
    created = client.post("/receivers", json={"kind": "kiwisdr", "url": kiwi.url})
    assert created.status_code == 201, created.text
    receiver = created.json()
    assert receiver["name"] == "DF0KL" and receiver["lat"] == pytest.approx(53.665337) and receiver["alt_m"] == 12.0
    assert receiver["capabilities"] == ["rss", "tdoa"] and receiver["timing"] == "gnss"
    assert receiver["health"]["ok"] is True and receiver["health"]["tdoa_ready"] is True
    named = client.post("/receivers", json={"kind": "kiwisdr", "url": kiwi.url, "name": "Borkum"}).json()
    assert named["name"] == "Borkum" and named["lon"] == pytest.approx(7.282766)

    kiwi.fake.options.users_busy = 4  # full
    checked = client.post(f"/receivers/{receiver['id']}/health/check")
    assert checked.status_code == 200, checked.text
    health = checked.json()["health"]
    assert health["free_slots"] == 0 and health["can_take_user"] is False and health["status"] == "degraded"
    assert client.get(f"/receivers/{receiver['id']}").json()["health"] == health


@pytest.mark.parametrize("server", ["nginx", "garbage", "closed"])
def test_a_url_that_is_not_a_kiwi_is_422_with_the_reason(client, expect_error, request, server) -> None:
    url = closed_port_url() if server == "closed" else request.getfixturevalue(server)
    error = expect_error(client.post("/receivers", json={"kind": "kiwisdr", "url": url}), 422, "invalid_input")
    assert error["details"]["field"] == "url" and url in error["message"] and "\n" not in error["message"]
    assert error["details"]["reason"] == ("unreachable" if server == "closed" else "not_this_kind")
    assert client.get("/receivers").json()["total"] == 0


def test_bad_urls_and_checks_that_cannot_be(client, expect_error) -> None:
    expect_error(client.post("/receivers", json={"kind": "kiwisdr", "url": "ftp://kiwi.example"}), 422, "invalid_input")
    expect_error(client.post("/receivers", json={"kind": "kiwisdr"}), 422, "invalid_input")  # no name, no url
    expect_error(client.post("/receivers/00000000-0000-0000-0000-000000000000/health/check"), 404, "not_found")
    sim = client.post("/receivers", json={"name": "sim", "kind": "simulated", "lat": 1, "lon": 2}).json()
    error = expect_error(client.post(f"/receivers/{sim['id']}/health/check"), 422, "invalid_input")
    assert "no status page" in error["message"]


def test_the_serving_process_polls_on_its_own(make_platform, kiwi) -> None:
    """The app's lifespan runs the poller: a receiver registered by hand gets its health without being asked."""
    platform = make_platform(receiver_health_interval_s=1, receiver_health_host_gap_s=0)
    receiver = platform.receivers.create({"name": "by hand", "kind": "kiwisdr", "url": kiwi.url, "lat": 1, "lon": 2})
    with api_client(platform) as http:
        deadline = time.monotonic() + 60
        health = None
        while health is None and time.monotonic() < deadline:
            time.sleep(0.2)
            health = http.get(f"/receivers/{receiver['id']}").json()["health"]
    assert health is not None and health["ok"] is True and health["users_max"] == 4
    assert kiwi.fake.status_requests >= 1
