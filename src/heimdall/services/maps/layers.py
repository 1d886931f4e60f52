"""The base layers the web app offers, from the settings and the archives found.

Order: the bundled offline basemap, tile archives (what a field laptop carries), the operator's
own sources, then the public online ones. Every layer says where it comes from and its attribution.
The public sources are listed only when the operator allows online tiles: a fresh install never
makes the browser fetch anything from outside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from heimdall.services.maps.archives import ArchiveInfo
from heimdall.settings import TileSource

OFFLINE_ID = "offline"
NATURAL_EARTH = "Natural Earth (public domain)"
OSM_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
PUBLIC_SOURCES = (
    TileSource(name="OpenStreetMap", url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
               attribution=OSM_ATTRIBUTION, max_zoom=19),
    TileSource(name="OpenTopoMap (topographic)", url="https://tile.opentopomap.org/{z}/{x}/{y}.png",
               attribution=f'{OSM_ATTRIBUTION}, SRTM | style © <a href="https://opentopomap.org">OpenTopoMap</a> '
                           "(CC-BY-SA)", max_zoom=17),
)


def base_layers(*, offline: bool, online: bool, sources: Iterable[TileSource], archives: Iterable[ArchiveInfo],
                tiles_prefix: str, default: str = "") -> dict[str, Any]:
    """``{"items": [layer...], "default": id}``; ``default`` falls back to the first layer listed."""
    items: list[dict[str, Any]] = []
    if offline:
        items.append({"id": OFFLINE_ID, "name": "Offline (Natural Earth)", "kind": "offline", "origin": "bundled",
                      "attribution": NATURAL_EARTH, "min_zoom": 0, "max_zoom": 22})
    items += [_archive_layer(info, tiles_prefix) for info in archives if info.tile_type != "unknown"]
    items += [_source_layer(source, "custom") for source in sources if source.enabled]
    if online:
        items += [_source_layer(source, "online") for source in PUBLIC_SOURCES]
    ids = [item["id"] for item in items]
    return {"items": items, "default": default if default in ids else (ids[0] if ids else None)}


def _archive_layer(info: ArchiveInfo, tiles_prefix: str) -> dict[str, Any]:
    return {
        "id": f"archive:{info.name}", "name": info.title, "kind": "raster" if info.raster else "vector",
        "origin": "archive", "archive": info.name, "format": info.format, "tile_type": info.tile_type,
        "tiles": [f"{tiles_prefix}/{info.name}/{{z}}/{{x}}/{{y}}?v={info.version}"],
        # Raster tiles of an archive are 256 px unless their metadata says otherwise (the common case).
        "tile_size": 256, "min_zoom": info.min_zoom, "max_zoom": info.max_zoom,
        "bounds": list(info.bounds) if info.bounds else None,
        "attribution": info.attribution or f"{info.title} (local archive)",
        "vector_layers": info.vector_layers, "size_bytes": info.size_bytes,
    }


def _source_layer(source: TileSource, origin: str) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "id": f"{origin}:{_slug(source.name)}", "name": source.name, "kind": source.kind, "origin": origin,
        "attribution": source.attribution, "tile_size": source.tile_size,
        "min_zoom": source.min_zoom, "max_zoom": source.max_zoom,
    }
    if source.kind == "style":
        layer["style_url"] = source.url
    else:
        layer["tiles"] = [source.url]
    return layer


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "source"
