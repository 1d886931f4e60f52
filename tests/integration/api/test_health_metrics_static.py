"""Health, Prometheus metrics (with WebSocket gauges) and the web app's static build."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets

JOB = "job:00000000-0000-4000-8000-000000000042"


def test_health_names_every_component(api):
    body = api.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["version"]
    assert body["components"]["database"] == {"status": "ok", "backend": "sqlite"}
    assert body["components"]["events"]["bus"] == "embedded"
    assert body["components"]["jobs"]["status"] == "ok"


def test_metrics_count_connections_and_subscribers_per_topic(api):
    async def scrape_while_connected() -> str:
        async with websockets.connect(api.server.ws_url) as one, websockets.connect(api.server.ws_url) as two:
            for socket, topics in ((one, ["jobs", JOB]), (two, ["jobs"])):
                await socket.send(json.dumps({"op": "subscribe", "topics": topics}))
                while json.loads(await socket.recv())["event"] != "subscribed":
                    pass
            return (await asyncio.to_thread(api.get, "/metrics")).text

    text = asyncio.run(scrape_while_connected())
    assert "heimdall_ws_connections 2.0" in text
    assert 'heimdall_ws_subscribers{topic="jobs"} 2.0' in text
    assert f'heimdall_ws_subscribers{{topic="{JOB}"}} 1.0' in text
    after = api.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    assert "heimdall_ws_connections 0.0" in after.text


def test_static_web_app_with_spa_fallback(make_server, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>heimdall app</html>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    server = make_server(static_dir=dist)
    with httpx.Client(base_url=server.http_url) as client:
        assert client.get("/").text == "<html>heimdall app</html>"
        assert client.get("/assets/app.js").text == "console.log(1)"
        assert client.get("/training/some-job").text == "<html>heimdall app</html>"  # client-side route
        assert client.get("/../../etc/passwd").text == "<html>heimdall app</html>"
        for path in ("/api/v1/nothing", "/api/nothing"):
            response = client.get(path)
            assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
        assert client.get("/api/v1/health").json()["status"] == "ok"
