"""PMTiles and MBTiles readers against archives written by other code, and the archive directory's rules."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest
from pmtiles.tile import Compression, TileType
from pmtiles.tile import zxy_to_tileid as reference_tile_id

from heimdall.errors import InvalidInput, NotFound
from heimdall.formats.pmtiles import PmtilesArchive, parse_header, zxy_to_tile_id
from heimdall.services.maps.archives import TileArchives


@pytest.mark.parametrize("z", [0, 1, 2, 5, 9, 14, 20])
def test_tile_ids_follow_the_hilbert_curve_of_the_spec(z):
    side = 1 << z
    step = max(1, side // 13)
    for x in range(0, side, step):
        for y in range(0, side, step):
            assert zxy_to_tile_id(z, x, y) == reference_tile_id(z, x, y)


def test_tile_ids_refuse_tiles_that_do_not_exist():
    with pytest.raises(InvalidInput, match="does not exist"):
        zxy_to_tile_id(3, 8, 0)
    with pytest.raises(InvalidInput, match="zoom"):
        zxy_to_tile_id(40, 0, 0)


def test_every_tile_of_an_archive_with_leaf_directories_reads_back(tmp_path, make_pmtiles, pyramid):
    rng = np.random.default_rng(3)
    tiles = pyramid(4)
    # scattered tiles of random sizes: a directory too irregular to compress into a 16 KiB root
    for x, y, size in zip(rng.integers(0, 1024, 12_000), rng.integers(0, 1024, 12_000), rng.integers(1, 300, 12_000), strict=False):
        tiles[(10, int(x), int(y))] = rng.bytes(int(size))
    archive = PmtilesArchive(make_pmtiles(tmp_path / "big.pmtiles", tiles))
    assert archive.header.leaf_length > 0, "the writer should have needed leaf directories"
    for (z, x, y), data in tiles.items():
        assert archive.tile(z, x, y) == data
    missing = next((x, y) for x in range(1024) for y in range(1024) if (10, x, y) not in tiles)
    assert archive.tile(10, *missing) is None
    assert archive.tile(7, 0, 0) is None


def test_runs_of_identical_tiles_and_missing_tiles(tmp_path, make_pmtiles, solid_png):
    sea = solid_png((0, 0, 255), 8)
    tiles = {(3, x, y): sea for x in range(8) for y in range(8) if (x, y) != (5, 5)}
    tiles[(3, 2, 2)] = solid_png((255, 0, 0), 8)
    archive = PmtilesArchive(make_pmtiles(tmp_path / "runs.pmtiles", tiles))
    assert archive.tile(3, 2, 2) == tiles[(3, 2, 2)]
    assert archive.tile(3, 7, 7) == sea
    assert archive.tile(3, 5, 5) is None
    assert archive.tile(2, 0, 0) is None


def test_header_and_metadata(tmp_path, make_pmtiles, pyramid):
    path = make_pmtiles(tmp_path / "meta.pmtiles", pyramid(2), tile_type=TileType.MVT,
                        tile_compression=Compression.GZIP,
                        metadata={"name": "Piemonte", "attribution": "© test", "vector_layers": [{"id": "roads"}]})
    archive = PmtilesArchive(path)
    h = archive.header
    assert (h.tile_type, h.tile_compression, h.internal_compression) == ("mvt", "gzip", "gzip")
    assert (h.min_zoom, h.max_zoom) == (0, 2)
    assert h.bounds == pytest.approx((6.5, 44.5, 8.5, 45.9))
    assert archive.metadata["vector_layers"] == [{"id": "roads"}]


@pytest.mark.parametrize(("raw", "message"), [
    (b"not an archive" * 20, "magic"),
    (b"PMTiles\x02" + bytes(119), "version 2"),
    (b"PMT", "magic"),
])
def test_bad_headers_are_invalid_input(raw, message):
    with pytest.raises(InvalidInput, match=message):
        parse_header(raw)


def test_mbtiles_rows_count_from_the_south(tiles_dir, make_mbtiles, pyramid):
    tiles = pyramid(3)
    make_mbtiles(tiles_dir / "region.mbtiles", tiles,
                 {"name": "Region", "format": "png", "minzoom": "0", "maxzoom": "3", "bounds": "6.5,44.5,8.5,45.9",
                  "attribution": "© region"})
    archives = TileArchives(tiles_dir)
    for (z, x, y), data in tiles.items():
        tile = archives.tile("region.mbtiles", z, x, y)
        assert tile is not None and tile.data == data and tile.media_type == "image/png"
    assert archives.tile("region.mbtiles", 4, 0, 0) is None
    info = archives.info("region.mbtiles")
    assert (info.format, info.tile_type, info.min_zoom, info.max_zoom) == ("mbtiles", "png", 0, 3)
    assert info.bounds == (6.5, 44.5, 8.5, 45.9) and info.attribution == "© region"


def test_vector_tiles_keep_their_encoding(tiles_dir, make_pmtiles, make_mbtiles):
    payload = gzip.compress(b"\x1a\x00")
    make_pmtiles(tiles_dir / "v.pmtiles", {(0, 0, 0): payload}, tile_type=TileType.MVT,
                 tile_compression=Compression.GZIP)
    make_mbtiles(tiles_dir / "v.mbtiles", {(0, 0, 0): payload}, {"format": "pbf", "json": '{"vector_layers": [{"id": "water"}]}'})
    archives = TileArchives(tiles_dir)
    for name in ("v.pmtiles", "v.mbtiles"):
        tile = archives.tile(name, 0, 0, 0)
        assert tile is not None
        assert (tile.media_type, tile.content_encoding, tile.data) == ("application/vnd.mapbox-vector-tile", "gzip", payload)
    assert archives.info("v.mbtiles").vector_layers == [{"id": "water"}]


@pytest.mark.parametrize("name", ["../secret.pmtiles", "a/b.pmtiles", ".hidden.pmtiles", "x.pmtiles.txt", "a..pmtiles",
                                  "", "x" * 200 + ".pmtiles"])
def test_names_only(tiles_dir, name):
    with pytest.raises(InvalidInput, match="not an archive name"):
        TileArchives(tiles_dir).path(name)


def test_symlinks_may_not_leave_the_directory(tmp_path, tiles_dir, make_pmtiles, pyramid):
    outside = make_pmtiles(tmp_path / "outside.pmtiles", pyramid(1))
    inside = make_pmtiles(tiles_dir / "real.pmtiles", pyramid(1))
    os.symlink(outside, tiles_dir / "escape.pmtiles")
    os.symlink(inside, tiles_dir / "alias.pmtiles")
    archives = TileArchives(tiles_dir)
    with pytest.raises(NotFound):
        archives.path("escape.pmtiles")
    assert archives.path("alias.pmtiles") == inside.resolve()
    assert [info.name for info in archives.list()] == ["alias.pmtiles", "real.pmtiles"]
    with pytest.raises(NotFound):
        archives.path("missing.pmtiles")


def test_a_corrupt_archive_is_left_out_of_the_list_and_a_replaced_one_is_reread(tiles_dir, make_pmtiles, pyramid):
    (tiles_dir / "broken.pmtiles").write_bytes(b"garbage" * 50)
    (tiles_dir / "broken.mbtiles").write_bytes(b"garbage" * 50)
    path = make_pmtiles(tiles_dir / "good.pmtiles", pyramid(1))
    archives = TileArchives(tiles_dir)
    assert [info.name for info in archives.list()] == ["good.pmtiles"]
    version = archives.info("good.pmtiles").version
    make_pmtiles(path, pyramid(2))
    os.utime(path, ns=(1, 1))
    assert archives.info("good.pmtiles").max_zoom == 2
    assert archives.info("good.pmtiles").version != version
    with pytest.raises(InvalidInput):
        archives.tile("broken.pmtiles", 0, 0, 0)
