"""Single-band GeoTIFF elevation in geographic coordinates (WGS84 lat/lon), read with ``tifffile``.

The georeference comes from the GeoTIFF tags: ModelPixelScale + ModelTiepoint (or a
ModelTransformation without rotation), GeoKeyDirectory for the model and raster types, and GDAL's
NoData tag. Projected rasters are refused with InvalidInput: reproject them to EPSG:4326 first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput
from heimdall.terrain.files import check_terrain_file
from heimdall.terrain.provider import bilinear

TAG_PIXEL_SCALE = 33550
TAG_TIEPOINT = 33922
TAG_TRANSFORMATION = 34264
TAG_GEO_KEYS = 34735
TAG_GDAL_NODATA = 42113
KEY_MODEL_TYPE = 1024
KEY_RASTER_TYPE = 1025
MODEL_GEOGRAPHIC = 2
RASTER_PIXEL_IS_POINT = 2


def _geo_keys(tags: dict[int, Any]) -> dict[int, int]:
    values = tags.get(TAG_GEO_KEYS)
    if values is None:
        return {}
    values = [int(v) for v in values]
    return {values[i]: values[i + 3] for i in range(4, 4 + 4 * values[3], 4) if values[i + 1] == 0}


def _affine(tags: dict[int, Any]) -> tuple[float, float, float, float]:
    """(west of column 0, degrees per column, north of row 0, degrees per row, signed)."""
    if TAG_PIXEL_SCALE in tags and TAG_TIEPOINT in tags:
        scale = [float(v) for v in tags[TAG_PIXEL_SCALE]]
        tie = [float(v) for v in tags[TAG_TIEPOINT]]
        return tie[3] - tie[0] * scale[0], scale[0], tie[4] + tie[1] * scale[1], -scale[1]
    if TAG_TRANSFORMATION in tags:
        m = [float(v) for v in tags[TAG_TRANSFORMATION]]
        if m[1] != 0 or m[4] != 0:
            raise InvalidInput("rotated GeoTIFF rasters are not supported", field="path")
        return m[3], m[0], m[7], m[5]
    raise InvalidInput("GeoTIFF has no georeference (ModelPixelScale/ModelTiepoint tags)", field="path")


class GeoTiffTerrain:
    """Elevation from one GeoTIFF; NaN outside it or on NoData."""

    def __init__(self, path: str | Path) -> None:
        import tifffile

        path = check_terrain_file(path)
        try:
            with tifffile.TiffFile(path) as tif:
                page = tif.pages.first
                tags = {tag.code: tag.value for tag in page.tags.values()}
                data = page.asarray()
        except (OSError, ValueError, tifffile.TiffFileError) as exc:
            # Never the parser's message: it may quote the file's first bytes.
            raise InvalidInput(f"{path.name}: not a readable TIFF", field="path") from exc
        keys = _geo_keys(tags)
        if keys.get(KEY_MODEL_TYPE, MODEL_GEOGRAPHIC) != MODEL_GEOGRAPHIC:
            raise InvalidInput(f"{path.name}: projected GeoTIFF; reproject to EPSG:4326 lat/lon", field="path")
        if data.ndim != 2:
            raise InvalidInput(f"{path.name}: expected one band, got shape {data.shape}", field="path")
        self._west, self._dlon, self._north, self._dlat = _affine(tags)
        # Pixel-is-area georeferences the corner of pixel (0, 0); sample at pixel centres.
        self._half = 0.0 if keys.get(KEY_RASTER_TYPE) == RASTER_PIXEL_IS_POINT else 0.5
        heights = data.astype(float)
        nodata = tags.get(TAG_GDAL_NODATA)
        if nodata is not None:
            heights[heights == float(str(nodata).strip("\x00 "))] = np.nan
        self._heights = heights

    def elevation_m(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> NDArray[np.float64]:
        lat, lon = np.broadcast_arrays(np.asarray(lat_deg, dtype=float), np.asarray(lon_deg, dtype=float))
        row = (lat - self._north) / self._dlat - self._half
        col = (lon - self._west) / self._dlon - self._half
        return bilinear(self._heights, row, col)
