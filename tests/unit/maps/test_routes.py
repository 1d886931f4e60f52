"""The base-layer list and the tile routes, in process: ranges as a PMTiles client asks for them."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from pmtiles.reader import Reader

from heimdall.api.app import create_app
from heimdall.settings import TileSource


@pytest.fixture
def client_for(make_platform):
    """``client_for(tmp_path, **settings)``: an in-process client over a platform with these settings."""
    def make(tmp_path, **settings) -> TestClient:
        platform = make_platform(data_dir=tmp_path, **settings)
        return TestClient(create_app(platform.settings, platform=platform, static_dir=None),
                          base_url="http://testserver/api/v1")
    return make


@pytest.fixture
def served(tmp_path, client_for, make_pmtiles, make_mbtiles, solid_png):
    tiles = tmp_path / "tiles"
    tiles.mkdir()
    red = solid_png((255, 0, 0), 16)
    make_pmtiles(tiles / "piemonte.pmtiles", {(z, x, y): red for z in range(3) for x in range(1 << z)
                                              for y in range(1 << z) if (z, x, y) != (2, 3, 3)})
    make_mbtiles(tiles / "alps.mbtiles", {(1, 1, 0): red}, {"name": "Alps", "format": "png", "minzoom": "1",
                                                            "maxzoom": "1", "attribution": "© alps"})
    with client_for(tmp_path) as client:
        yield client, tiles / "piemonte.pmtiles"


def test_a_fresh_install_offers_only_offline_layers(served):
    client, _ = served
    body = client.get("/map/layers").json()
    assert [layer["id"] for layer in body["items"]] == ["offline", "archive:alps.mbtiles", "archive:piemonte.pmtiles"]
    assert body["default"] == "offline"
    assert all(layer["attribution"] for layer in body["items"])
    assert not any(layer["origin"] == "online" for layer in body["items"])
    piemonte = body["items"][2]
    assert piemonte["kind"] == "raster" and piemonte["bounds"] == pytest.approx([6.5, 44.5, 8.5, 45.9])
    assert piemonte["tiles"][0].startswith("/api/v1/tiles/piemonte.pmtiles/{z}/{x}/{y}?v=")


def test_online_tiles_and_custom_sources_when_the_operator_allows_them(tmp_path, client_for):
    own = TileSource(name="Club server", url="https://tiles.example.org/{z}/{x}/{y}.png", attribution="© club")
    style = TileSource(name="Vector style", kind="style", url="https://example.org/style.json", attribution="© v")
    with client_for(tmp_path, map_online_tiles=True, map_tile_sources=[own, style], map_offline_basemap=False,
                    map_default_layer="online:openstreetmap") as client:
        body = client.get("/map/layers").json()
    ids = [layer["id"] for layer in body["items"]]
    assert ids == ["custom:club-server", "custom:vector-style", "online:openstreetmap", "online:opentopomap-topographic"]
    assert body["default"] == "online:openstreetmap"
    osm = body["items"][2]
    assert "OpenStreetMap" in osm["attribution"] and osm["tiles"] == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]
    assert body["items"][1]["style_url"] == "https://example.org/style.json"


def test_tile_source_settings_are_checked():
    with pytest.raises(ValueError, match=r"\{z\}"):
        TileSource(name="bad", url="https://example.org/tiles.png", attribution="x")
    with pytest.raises(ValueError):
        TileSource(name="bad", url="file:///etc/passwd", attribution="x")
    with pytest.raises(ValueError):
        TileSource(name="no attribution", url="https://e.org/{z}/{x}/{y}", attribution="")


def test_tiles_by_zxy(served):
    client, _ = served
    response = client.get("/tiles/piemonte.pmtiles/1/1/0")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n" and "immutable" in response.headers["cache-control"]
    assert client.get("/tiles/piemonte.pmtiles/2/3/3").status_code == 204
    assert client.get("/tiles/alps.mbtiles/1/1/0").status_code == 200
    assert client.get("/tiles/alps.mbtiles/1/0/0").status_code == 204
    bad = client.get("/tiles/piemonte.pmtiles/1/5/0")
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "x"
    assert client.get("/tiles/nothing.pmtiles/0/0/0").json()["error"]["code"] == "not_found"


def test_range_requests_on_the_archive(served):
    client, path = served
    size = path.stat().st_size
    whole = client.get("/tiles/piemonte.pmtiles")
    assert whole.status_code == 200 and whole.content == path.read_bytes()
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["etag"]
    part = client.get("/tiles/piemonte.pmtiles", headers={"Range": "bytes=0-126"})
    assert part.status_code == 206 and part.content == path.read_bytes()[:127]
    assert part.headers["content-range"] == f"bytes 0-126/{size}" and part.headers["content-length"] == "127"
    tail = client.get("/tiles/piemonte.pmtiles", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == path.read_bytes()[-10:]
    head = client.head("/tiles/piemonte.pmtiles", headers={"Range": "bytes=5-9"})
    assert head.status_code == 206 and head.headers["content-length"] == "5" and head.content == b""
    many = client.get("/tiles/piemonte.pmtiles", headers={"Range": "bytes=0-3,10-13"})
    assert many.status_code == 206 and many.headers["content-type"].startswith("multipart/byteranges")
    stale = client.get("/tiles/piemonte.pmtiles", headers={"Range": "bytes=0-3", "If-Range": '"other"'})
    assert stale.status_code == 200 and len(stale.content) == size


def test_bad_ranges_answer_in_the_error_shape(served):
    client, path = served
    size = path.stat().st_size
    outside = client.get("/tiles/piemonte.pmtiles", headers={"Range": f"bytes={size + 5}-"})
    assert outside.status_code == 416 and outside.headers["content-range"] == f"bytes */{size}"
    assert outside.json()["error"]["code"] == "range_not_satisfiable"
    malformed = client.get("/tiles/piemonte.pmtiles", headers={"Range": "lines=1-2"})
    assert malformed.status_code == 400 and malformed.json()["error"]["details"]["field"] == "range"


def test_a_pmtiles_client_reads_the_archive_over_http_ranges(served):
    """The reference reader, fetching every byte it needs with Range requests, finds the same tiles."""
    client, _ = served
    requested: list[str] = []

    def get_bytes(offset: int, length: int) -> bytes:
        requested.append(f"bytes={offset}-{offset + length - 1}")
        response = client.get("/tiles/piemonte.pmtiles", headers={"Range": requested[-1]})
        assert response.status_code == 206
        return response.content

    reader = Reader(get_bytes)
    assert reader.metadata()["name"] == "Test region"
    assert reader.get(1, 1, 0) == client.get("/tiles/piemonte.pmtiles/1/1/0").content
    assert len(requested) >= 3


def test_archives_can_be_turned_off(tmp_path, client_for, make_pmtiles, solid_png):
    (tmp_path / "tiles").mkdir()
    make_pmtiles(tmp_path / "tiles" / "a.pmtiles", {(0, 0, 0): solid_png((0, 0, 0), 4)})
    with client_for(tmp_path, map_tile_archives=False) as client:
        assert [layer["id"] for layer in client.get("/map/layers").json()["items"]] == ["offline"]
        assert client.get("/tiles/a.pmtiles").status_code == 404
        assert client.get("/tiles/a.pmtiles/0/0/0").status_code == 404


def test_traversal_attempts_never_reach_a_file(served):
    client, _ = served
    for path in ("/tiles/..%2F..%2Fetc%2Fpasswd", "/tiles/%2E%2E", "/tiles/.env", "/tiles/..pmtiles"):
        response = client.get(path)
        assert response.status_code in (404, 422), (path, response.status_code)
        assert isinstance(httpx.Response(200, content=response.content).json(), dict)
