"""Terrain files named by dataset configs stay inside <data_dir>/terrain: 422 before any job starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heimdall.errors import InvalidInput
from heimdall.services.datasets.terrain_paths import confine_terrain_paths
from heimdall.synth import load_config
from heimdall.terrain.geotiff import GeoTiffTerrain
from heimdall.terrain.hgt import read_hgt

RECEIVERS = [
    {"name": "a", "kind": "kiwisdr", "lat": 45.0, "lon": 7.5, "capabilities": ["rss", "tdoa"], "timing": "gnss"},
    {"name": "b", "kind": "kiwisdr", "lat": 45.1, "lon": 7.6, "capabilities": ["rss", "tdoa"], "timing": "gnss"},
    {"name": "c", "kind": "kiwisdr", "lat": 44.9, "lon": 7.6, "capabilities": ["rss", "tdoa"], "timing": "gnss"},
]
SECRET = "root:$6$very-secret-hash:19000:0:99999:7:::"


@pytest.fixture
def network_id(platform) -> str:
    ids = [platform.receivers.create(fields)["id"] for fields in RECEIVERS]
    return platform.networks.create({"name": "n", "receiver_ids": ids})["id"]


def _create(platform, network_id: str, paths: list[str], kind: str = "hgt"):
    body = {"name": "t", "network_id": network_id, "num_samples": 10,
            "propagation": {"model": "itm", "terrain": {"kind": kind, "paths": paths}}}
    with pytest.raises(InvalidInput) as refused:
        platform.datasets.create(body)
    return refused.value


def test_paths_outside_the_terrain_folder_are_refused_alike_and_no_job_starts(platform, network_id, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text(SECRET)
    terrain = platform.settings.data_dir / "terrain"
    terrain.mkdir()
    (terrain / "N45E007.hgt").symlink_to(secret)
    answers = [_create(platform, network_id, [path]) for path in
               (str(secret), "/etc/no-such-file-at-all", "../../../../etc/passwd", "N45E007.hgt", "a\x00b")]
    messages = {error.message for error in answers}
    assert len(messages) == 1, messages  # exists or not, readable or not: one answer
    assert "terrain folder" in messages.pop() and all(error.http_status == 422 for error in answers)
    assert all(SECRET[:4] not in error.message and "19000" not in error.message for error in answers)
    assert answers[0].field == "propagation.terrain.paths.0"
    assert platform.jobs.list()[1] == 0 and platform.datasets.list()["total"] == 0


def test_a_fifo_in_the_terrain_folder_is_refused_without_hanging(platform, network_id):
    terrain = platform.settings.data_dir / "terrain"
    terrain.mkdir()
    os.mkfifo(terrain / "N45E007.hgt")
    error = _create(platform, network_id, ["N45E007.hgt"])
    assert "not a regular file" in error.message
    with pytest.raises(InvalidInput, match="not a regular file"):
        read_hgt(terrain / "N45E007.hgt")  # the job's reader too (a file swapped after the check)


def test_files_inside_the_folder_resolve_to_absolute_paths(tmp_path: Path):
    (tmp_path / "dem").mkdir()
    (tmp_path / "dem" / "N45E007.hgt").write_bytes(bytes(1201 * 1201 * 2))
    config = load_config({"propagation": {"model": "itm", "terrain": {"kind": "hgt", "paths": ["dem/N45E007.hgt"]}}})
    confined = confine_terrain_paths(config, tmp_path)
    assert confined.propagation.terrain.paths == [str((tmp_path / "dem" / "N45E007.hgt").resolve())]
    with pytest.raises(InvalidInput, match="no terrain folder"):
        confine_terrain_paths(config, None)


def test_unreadable_terrain_errors_never_quote_the_file(tmp_path: Path):
    fake = tmp_path / "dem.tif"
    fake.write_text(SECRET)
    with pytest.raises(InvalidInput) as refused:
        GeoTiffTerrain(fake)
    assert SECRET[:4] not in refused.value.message and "$6$" not in refused.value.message


def test_terrain_files_are_uploaded_checked_listed_and_deleted(secured, expect_error):
    tile = bytes(1201 * 1201 * 2)
    with secured.client("operator") as operator, secured.client("viewer") as viewer:
        expect_error(viewer.post("/terrain", files={"file": ("N45E007.hgt", tile)}), 403, "forbidden")
        created = operator.post("/terrain", files={"file": ("N45E007.hgt", tile)})
        assert created.status_code == 201, created.text
        assert created.json()["size_bytes"] == len(tile) and created.json()["kind"] == "hgt"
        for name, content in (("../N46E007.hgt", tile), ("N46E007.hgt", b"short"), ("notes.txt", b"x"),
                              ("dem.tif", SECRET.encode())):
            error = expect_error(operator.post("/terrain", files={"file": (name, content)}), 422, "invalid_input")
            assert SECRET[:4] not in error["message"]
        assert [item["name"] for item in viewer.get("/terrain").json()["items"]] == ["N45E007.hgt"]
        config = load_config({"propagation": {"model": "itm", "terrain": {"kind": "hgt", "paths": ["N45E007.hgt"]}}})
        folder = secured.platform.settings.data_dir / "terrain"
        assert confine_terrain_paths(config, folder).propagation.terrain.paths == [str((folder / "N45E007.hgt").resolve())]
        assert operator.delete("/terrain/N45E007.hgt").status_code == 204
        expect_error(operator.delete("/terrain/N45E007.hgt"), 404, "not_found")
    assert sorted(p.name for p in folder.iterdir()) == []  # no temporary file left behind
