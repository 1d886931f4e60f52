"""Elevation providers and path profiles, on files written by the tests themselves."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.terrain import (
    ElevationProvider,
    FlatTerrain,
    GeoTiffTerrain,
    HgtTerrain,
    ProceduralTerrain,
    path_profile,
    read_hgt,
)


def _write_hgt(path, n=1201, void_at=None):
    rows, cols = np.mgrid[0:n, 0:n]
    heights = (rows * 2 + cols).astype(">i2")  # row 0 is the north edge
    if void_at is not None:
        heights[void_at] = -32768
    path.write_bytes(heights.tobytes())
    return heights.astype(float)


def test_hgt_reader_orientation_and_interpolation(tmp_path):
    heights = _write_hgt(tmp_path / "N45E007.hgt")
    tile = read_hgt(tmp_path / "N45E007.hgt")
    assert (tile.south_deg, tile.west_deg) == (45, 7)
    terrain = HgtTerrain([tmp_path / "N45E007.hgt"])
    assert isinstance(terrain, ElevationProvider)
    # north-west corner is row 0, col 0; south-east corner is the last post
    assert terrain.elevation_m(46.0, 7.0) == pytest.approx(heights[0, 0])
    assert terrain.elevation_m(45.0, 8.0) == pytest.approx(heights[-1, -1])
    # half way between posts along a row: the mean of the two
    lat = 46.0 - 10 / 1200
    lon = 7.0 + 10.5 / 1200
    assert terrain.elevation_m(lat, lon) == pytest.approx((heights[10, 10] + heights[10, 11]) / 2)
    assert np.isnan(terrain.elevation_m(44.5, 7.5))  # outside every tile


def test_hgt_voids_and_one_arcsecond_and_southern_western_names(tmp_path):
    _write_hgt(tmp_path / "S01W002.hgt", n=3601, void_at=(0, 0))
    tile = read_hgt(tmp_path / "S01W002.hgt")
    assert (tile.south_deg, tile.west_deg) == (-1, -2)
    assert tile.heights_m.shape == (3601, 3601)
    assert np.isnan(tile.heights_m[0, 0])
    terrain = HgtTerrain.from_directory(tmp_path)
    assert np.isnan(terrain.elevation_m(0.0, -2.0))
    assert np.isfinite(terrain.elevation_m(-0.5, -1.5))


def test_hgt_bad_files_are_invalid_input(tmp_path):
    (tmp_path / "N45E007.hgt").write_bytes(b"\x00" * 100)
    with pytest.raises(InvalidInput):
        read_hgt(tmp_path / "N45E007.hgt")
    (tmp_path / "tile.hgt").write_bytes(b"\x00" * (1201 * 1201 * 2))
    with pytest.raises(InvalidInput):
        read_hgt(tmp_path / "tile.hgt")
    with pytest.raises(InvalidInput):
        HgtTerrain([])


def _write_geotiff(path, data, extratags):
    import tifffile

    tifffile.imwrite(path, data, extratags=extratags)


def _geo_tags(model_type=2, pixel_is_point=False):
    keys = [1, 1, 0, 2, 1024, 0, 1, model_type, 1025, 0, 1, 2 if pixel_is_point else 1]
    return [
        (33550, "d", 3, (0.01, 0.01, 0.0), True),  # pixel scale: 0.01 deg
        (33922, "d", 6, (0.0, 0.0, 0.0, 7.0, 46.0, 0.0), True),  # pixel (0,0) corner at 46 N 7 E
        (34735, "H", len(keys), keys, True),
        (42113, "s", 0, "-9999", True),
    ]


def test_geotiff_georeference_and_nodata(tmp_path):
    data = np.arange(100 * 100, dtype=np.float32).reshape(100, 100)
    data[5, 5] = -9999
    _write_geotiff(tmp_path / "dem.tif", data, _geo_tags())
    terrain = GeoTiffTerrain(tmp_path / "dem.tif")
    # pixel-is-area: the centre of pixel (row 3, col 4) is half a pixel in from its corner
    lat = 46.0 - 3.5 * 0.01
    lon = 7.0 + 4.5 * 0.01
    assert terrain.elevation_m(lat, lon) == pytest.approx(data[3, 4])
    assert np.isnan(terrain.elevation_m(46.0 - 5.5 * 0.01, 7.0 + 5.5 * 0.01))
    assert np.isnan(terrain.elevation_m(40.0, 7.0))


def test_geotiff_refuses_projected_and_non_tiff(tmp_path):
    _write_geotiff(tmp_path / "utm.tif", np.zeros((4, 4), np.float32), _geo_tags(model_type=1))
    with pytest.raises(InvalidInput, match="projected"):
        GeoTiffTerrain(tmp_path / "utm.tif")
    (tmp_path / "junk.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(InvalidInput):
        GeoTiffTerrain(tmp_path / "junk.tif")
    import tifffile

    tifffile.imwrite(tmp_path / "plain.tif", np.zeros((4, 4), np.float32))
    with pytest.raises(InvalidInput, match="georeference"):
        GeoTiffTerrain(tmp_path / "plain.tif")


def test_procedural_terrain_is_deterministic_and_hilly():
    a = ProceduralTerrain(seed=5)
    lat, lon = np.meshgrid(np.linspace(44.5, 45.5, 60), np.linspace(7.0, 8.0, 60))
    heights = a.elevation_m(lat, lon)
    np.testing.assert_array_equal(heights, ProceduralTerrain(seed=5).elevation_m(lat, lon))
    assert not np.array_equal(heights, ProceduralTerrain(seed=6).elevation_m(lat, lon))
    assert 100.0 < np.std(heights) < 600.0 and np.min(heights) >= 0.0


def test_path_profile_spacing_and_gaps(tmp_path):
    profile = path_profile(FlatTerrain(12.0), (45.0, 7.0), (45.0, 7.5), 1000.0)
    assert profile.distance_m == pytest.approx(39_430.0, rel=0.01)
    assert profile.step_m == pytest.approx(profile.distance_m / (len(profile.elevations_m) - 1))
    assert profile.step_m <= 1000.0 and np.all(profile.elevations_m == 12.0)
    _write_hgt(tmp_path / "N45E007.hgt")
    terrain = HgtTerrain([tmp_path / "N45E007.hgt"])
    gap = path_profile(terrain, (45.5, 7.5), (45.5, 8.5), 2000.0, missing_elevation_m=-1.0)
    assert gap.elevations_m[0] > 0 and gap.elevations_m[-1] == -1.0
    with pytest.raises(InvalidInput):
        path_profile(terrain, (45.5, 7.5), (45.5, 8.5), 2000.0, missing_elevation_m=None)
    with pytest.raises(InvalidInput):
        path_profile(terrain, (45.5, 7.5), (45.5, 7.5), 100.0)
