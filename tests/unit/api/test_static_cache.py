"""The web app's files: hashed assets cached for good, the page itself revalidated."""

from __future__ import annotations

from fastapi.testclient import TestClient

from heimdall.api.app import create_app
from heimdall.settings import Settings


def test_hashed_assets_are_immutable_and_the_page_is_revalidated(tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>app</title>")
    (dist / "assets" / "maplibre-gl-CqMPE3lg.js").write_text("export {}")
    with TestClient(create_app(Settings(data_dir=tmp_path), static_dir=dist)) as client:
        asset = client.get("/assets/maplibre-gl-CqMPE3lg.js")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        for path in ("/", "/map", "/index.html"):
            page = client.get(path)
            assert page.status_code == 200 and page.headers["cache-control"] == "no-cache", path
