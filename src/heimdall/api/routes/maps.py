"""The map's base layers and the tile archives Heimdall serves (docs/frontend.md, "Base layers").

- ``GET /map/layers``: every enabled base layer, with its attribution, and the default one.
- ``GET|HEAD /tiles/{name}``: the archive file itself, with HTTP range requests (206, multipart
  ranges, ``If-Range``, ETag), so PMTiles clients (the ``pmtiles`` libraries, QGIS) read it directly.
- ``GET /tiles/{name}/{z}/{x}/{y}``: one tile of a PMTiles or MBTiles archive, as stored (vector tiles
  keep their ``Content-Encoding``); 204 where the archive has no tile, so a sparse archive costs the
  browser no error.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from heimdall.api.deps import AppSettings, Archives
from heimdall.api.errors import error_body
from heimdall.errors import NotFound
from heimdall.services.maps.layers import base_layers

router = APIRouter(tags=["map"])
TILES_PREFIX = "/api/v1/tiles"
TILE_CACHE = "public, max-age=86400, immutable"  # tile URLs carry the archive's version


class BaseLayer(BaseModel):
    id: str
    name: str
    kind: Literal["offline", "raster", "vector", "style"]
    origin: Literal["bundled", "archive", "custom", "online"]
    attribution: str
    min_zoom: int
    max_zoom: int
    tiles: list[str] | None = None
    style_url: str | None = None
    tile_size: int | None = None
    bounds: list[float] | None = None
    archive: str | None = None
    format: str | None = None
    tile_type: str | None = None
    vector_layers: list[dict[str, Any]] | None = None
    size_bytes: int | None = None


class BaseLayerList(BaseModel):
    items: list[BaseLayer]
    default: str | None


def _enabled(settings: AppSettings) -> None:
    if not settings.map_tile_archives:
        raise NotFound("tile archives are turned off on this server (map_tile_archives)")


@router.get("/map/layers", response_model=BaseLayerList)
def list_base_layers(settings: AppSettings, archives: Archives) -> dict[str, Any]:
    s = settings
    return base_layers(offline=s.map_offline_basemap, online=s.map_online_tiles, sources=s.map_tile_sources,
                       archives=archives.list() if s.map_tile_archives else [], tiles_prefix=TILES_PREFIX,
                       default=s.map_default_layer)


@router.head("/tiles/{name}", include_in_schema=False)
@router.get("/tiles/{name}", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}}, 206: {"description": "a byte range"},
                       416: {"description": "range not satisfiable"}})
def get_archive(name: str, request: Request, settings: AppSettings,
                archives: Archives) -> Response:
    _enabled(settings)
    path = archives.path(name)
    refused = _refused_range(request.headers.get("range"), path.stat().st_size)
    if refused is not None:
        return refused
    return FileResponse(path, media_type="application/octet-stream", headers={"Cache-Control": "no-cache"})


def _refused_range(header: str | None, size: int) -> Response | None:
    """A bad Range answered in the one error shape (the file response would answer in plain text)."""
    if header is None:
        return None
    try:
        FileResponse._parse_range_header(header, size)
    except MalformedRangeHeader as exc:
        return JSONResponse(error_body("bad_request", f"bad Range header: {exc.content}", {"field": "range"}), 400)
    except RangeNotSatisfiable:
        body = error_body("range_not_satisfiable", f"the range starts beyond the archive's {size} bytes",
                          {"field": "range", "size_bytes": size})
        return JSONResponse(body, 416, headers={"Content-Range": f"bytes */{size}"})
    return None


@router.get("/tiles/{name}/{z}/{x}/{y}", responses={200: {"content": {"image/png": {}}}, 204: {"description": "no tile"}})
def get_tile(name: str, z: int, x: int, y: int, settings: AppSettings,
             archives: Archives) -> Response:
    _enabled(settings)
    tile = archives.tile(name, z, x, y)
    if tile is None:
        return Response(status_code=204, headers={"Cache-Control": TILE_CACHE})
    headers = {"Cache-Control": TILE_CACHE}
    if tile.content_encoding:
        headers["Content-Encoding"] = tile.content_encoding
    return Response(tile.data, media_type=tile.media_type, headers=headers)
