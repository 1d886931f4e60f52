"""Cross-site and local attacks: DNS rebinding (Host), cross-site writes (Origin), security headers."""

from __future__ import annotations

import httpx

from heimdall.api.hardening import content_security_policy, host_name, origin_allowed
from heimdall.settings import Settings, TileSource
from support.platform import serving


def test_an_unknown_host_header_is_refused_before_any_route(secured, expect_error):
    with secured.client("admin", Host="attacker.example") as rebound:
        expect_error(rebound.get("/receivers"), 400, "host_not_allowed")
        expect_error(rebound.get("/health"), 400, "host_not_allowed")
    with secured.client("admin", Host="localhost:8000") as local:
        assert local.get("/receivers").status_code == 200


def test_every_response_carries_the_security_headers(secured):
    with secured.client() as anonymous:
        for response in (anonymous.get("/health"), anonymous.get("/receivers"), anonymous.get("/nope")):
            headers = response.headers
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            csp = headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp and "worker-src 'self' blob:" in csp


def test_only_the_api_docs_page_may_load_swagger_ui_from_its_cdn(secured):
    with secured.client("viewer") as viewer:
        docs = viewer.get("/docs").headers["content-security-policy"]
        app = viewer.get("/receivers").headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in docs and "frame-ancestors 'none'" in docs
    assert "cdn.jsdelivr.net" not in app and "'unsafe-inline'" not in app.split("script-src")[1].split(";")[0]


def test_cross_site_writes_are_refused_even_with_authentication_off(platform, expect_error):
    with serving(platform) as server, httpx.Client(base_url=f"{server.http_url}/api/v1", timeout=60) as client:
        evil = {"Origin": "https://evil.example"}
        expect_error(client.post("/networks", json={"name": "x"}, headers=evil), 403, "forbidden_origin")
        expect_error(client.post(f"/jobs/{'0' * 8}-0000-4000-8000-{'0' * 12}/cancel", headers=evil), 403,
                     "forbidden_origin")
        same = {"Origin": server.http_url}
        assert client.post("/networks", json={"name": "x"}, headers=same).status_code == 201
        assert client.get("/networks", headers=evil).status_code == 200  # reads are not state changes


def test_origin_and_host_parsing():
    assert host_name("[::1]:8000") == "::1" and host_name("LocalHost:80") == "localhost"
    assert origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000", [])
    assert not origin_allowed("http://127.0.0.1:8001", "127.0.0.1:8000", [])
    assert not origin_allowed("null", "127.0.0.1:8000", [])
    assert origin_allowed("http://localhost:5173", "127.0.0.1:8000", ["http://localhost:5173/"])


def test_the_csp_names_only_the_tile_origins_the_operator_configured():
    assert "https://tile.openstreetmap.org" not in content_security_policy(Settings())
    source = TileSource(name="mine", url="https://tiles.example.org/{z}/{x}/{y}.png", attribution="me")
    csp = content_security_policy(Settings(map_online_tiles=True, map_tile_sources=[source]))
    assert "https://tile.openstreetmap.org" in csp and "https://tiles.example.org" in csp
