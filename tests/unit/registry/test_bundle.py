"""Portable bundles: export, import, and every way a bundle can be refused (nothing half-registered)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

from heimdall.errors import InvalidInput, PayloadTooLarge
from heimdall.inference import OnnxPredictor
from heimdall.locate import parse_measurement_set
from heimdall.services.models.bundle import (
    BUNDLE_VERSION,
    BundleLimits,
    export_bundle,
    import_bundle,
    pack_bundle,
    unpack_bundle,
)
from heimdall.services.models.registry import Provenance


@pytest.fixture
def registered(registry, trained, network_ids):
    return registry.register("exported", trained.onnx, trained.checkpoint,
                             Provenance(network_id=network_ids[0], dataset_ids=("d1",)))


def _rewrite(bundle: bytes, *, manifest=None, replace: dict[str, bytes] | None = None, drop=(), add=None) -> bytes:
    """The bundle with its manifest changed by ``manifest(m)``, members replaced, dropped or added."""
    source = zipfile.ZipFile(io.BytesIO(bundle))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            if name in drop:
                continue
            data = source.read(name)
            if name == "manifest.json" and manifest is not None:
                m = json.loads(data)
                manifest(m)
                data = json.dumps(m).encode()
            target.writestr(name, (replace or {}).get(name, data))
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return out.getvalue()


def test_export_then_import_gives_the_same_predictions(registry, registered, trained, network_ids):
    bundle = export_bundle(registry, registered["id"])
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(bundle)).read("manifest.json"))
    assert manifest["bundle_version"] == BUNDLE_VERSION and set(manifest["files"]) == {"model.onnx", "checkpoint.pt"}
    imported = import_bundle(registry, bundle, name="copy")
    assert imported["id"] != registered["id"] and imported["name"] == "copy"
    assert imported["origin"]["id"] == registered["id"] and imported["network_id"] == network_ids[0]
    assert imported["dataset_ids"] == ["d1"] and imported["layout"] == registered["layout"]
    assert registry.checkpoint_bytes(imported["id"]) == trained.checkpoint
    sets = [parse_measurement_set(s["measurement_set"]) for s in trained.samples[:20]]
    before = OnnxPredictor(registry.onnx_bytes(registered["id"])).predict_batch(sets)
    after = OnnxPredictor(registry.onnx_bytes(imported["id"])).predict_batch(sets)
    np.testing.assert_array_equal([[r["lat"], r["lon"]] for r in before], [[r["lat"], r["lon"]] for r in after])


@pytest.mark.parametrize("damage, match", [
    (lambda b: b"PK\x03\x04 not really a zip", "zip"),
    (lambda b: b"", "empty"),
    (lambda b: _rewrite(b, manifest=lambda m: m.update(bundle_version=99)), "bundle_version"),
    (lambda b: _rewrite(b, manifest=lambda m: m.update(format="other")), "format"),
    (lambda b: _rewrite(b, replace={"model.onnx": b"tampered"}), "checksum"),
    (lambda b: _rewrite(b, manifest=lambda m: m["files"]["checkpoint.pt"].update(sha256="0" * 64)), "checksum"),
    (lambda b: _rewrite(b, drop=("model.onnx",)), "model.onnx"),
    (lambda b: _rewrite(b, drop=("manifest.json",)), "manifest.json"),
    (lambda b: _rewrite(b, replace={"manifest.json": b"{nope"}), "JSON"),
    (lambda b: _rewrite(b, add={"extra.bin": b"x"}), "does not list"),
    (lambda b: b[: len(b) // 2], "zip"),
])
def test_a_bad_bundle_is_refused_and_nothing_is_registered(registry, blobs, registered, damage, match):
    bundle = damage(export_bundle(registry, registered["id"]))
    keys_before = sorted(blobs.list(""))
    with pytest.raises(InvalidInput, match=match):
        import_bundle(registry, bundle)
    assert registry.list()["total"] == 1 and sorted(blobs.list("")) == keys_before


def test_a_consistent_bundle_whose_onnx_is_not_a_model_is_refused(registry, blobs):
    bundle = pack_bundle({"name": "fake"}, b"definitely not onnx", None)
    assert unpack_bundle(bundle).checkpoint is None
    with pytest.raises(InvalidInput, match="ONNX"):
        import_bundle(registry, bundle)
    assert registry.list()["total"] == 0 and blobs.list("") == []


def _deflated(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _bomb_bundle(onnx_bytes: int) -> bytes:
    """A consistent bundle (manifest, sizes and sha256 all right) whose ONNX member is zeros."""
    zeros = bytes(onnx_bytes)
    manifest = {"format": "heimdall.model_bundle", "bundle_version": BUNDLE_VERSION, "model": {"name": "bomb"},
                "files": {"model.onnx": {"sha256": hashlib.sha256(zeros).hexdigest(), "bytes": len(zeros)}}}
    return _deflated({"manifest.json": json.dumps(manifest).encode(), "model.onnx": zeros})


def test_a_zip_bomb_is_refused_from_its_declared_sizes_before_inflating(registry, monkeypatch):
    bomb = _bomb_bundle(64 << 20)  # 64 MiB of zeros deflate to about 64 KiB
    assert len(bomb) < 200_000
    inflated: list[str] = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: inflated.append(getattr(name, "filename", name))
                        or real_open(self, name, *a, **k))
    with pytest.raises(InvalidInput, match="compressed .* zip bomb"):
        import_bundle(registry, bomb)
    assert inflated == []  # refused from the central directory alone
    with pytest.raises(PayloadTooLarge, match="max_bundle_bytes"):
        import_bundle(registry, bomb, limits=BundleLimits(max_total_bytes=32 << 20, max_compression_ratio=1e6))
    assert registry.list()["total"] == 0


def test_a_member_that_lies_about_its_size_is_never_inflated_past_it(registry):
    bomb = bytearray(_bomb_bundle(4 << 20))
    # Rewrite the declared (uncompressed) size of model.onnx to 1 KiB in both the local and central headers.
    archive = zipfile.ZipFile(io.BytesIO(bytes(bomb)))
    info = archive.getinfo("model.onnx")
    true_size = info.file_size.to_bytes(4, "little")
    assert bytes(bomb).count(true_size) == 2
    bomb = bytes(bomb).replace(true_size, (1024).to_bytes(4, "little"))
    with pytest.raises(InvalidInput) as error:
        import_bundle(registry, bomb, limits=BundleLimits(max_compression_ratio=1e9))
    assert "size" in error.value.message or "zip" in error.value.message
    assert registry.list()["total"] == 0


def test_an_import_error_counts_unexpected_members_and_names_only_a_few(registry, monkeypatch):
    crowded = _deflated({f"junk/{i:05d}.bin": b"" for i in range(20_000)})
    parsed: list[int] = []
    real_init = zipfile.ZipFile.__init__
    monkeypatch.setattr(zipfile.ZipFile, "__init__", lambda self, *a, **k: parsed.append(1) or real_init(self, *a, **k))
    with pytest.raises(InvalidInput) as error:
        import_bundle(registry, crowded)
    assert "20000 entries" in error.value.message and len(error.value.message) < 300
    assert parsed == []  # refused from the end record, before zipfile builds 20,000 entries
    few = _deflated({f"junk/{i}.bin": b"" for i in range(3)})
    with pytest.raises(InvalidInput, match=r"3 file\(s\) its manifest does not list: junk/0.bin, junk/1.bin"):
        import_bundle(registry, few)
    monkeypatch.setattr("heimdall.services.models.bundle.NAMES_SHOWN", 2)
    with pytest.raises(InvalidInput, match=r"junk/0.bin, junk/1.bin and 1 more$"):
        import_bundle(registry, few)


def test_an_onnx_with_external_data_is_refused_before_onnx_runtime_reads_it(registry, trained, tmp_path, monkeypatch):
    onnx = pytest.importorskip("onnx")
    (tmp_path / "weights.bin").write_bytes(bytes(1 << 16))
    monkeypatch.chdir(tmp_path)  # where ONNX Runtime would look for the reference
    model = onnx.load_model_from_string(trained.onnx)
    tensor = model.graph.initializer[0]
    tensor.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", "weights.bin"), ("offset", "0"), ("length", str(len(tensor.raw_data)))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    tensor.ClearField("raw_data")
    bundle = pack_bundle({"name": "external"}, model.SerializeToString(), None)
    with pytest.raises(InvalidInput, match="external data"):
        import_bundle(registry, bundle)
    assert registry.list()["total"] == 0


def test_the_import_route_applies_the_settings_limits(make_platform, tmp_path):
    from fastapi.testclient import TestClient

    from heimdall.api.app import create_app

    platform = make_platform(data_dir=tmp_path / "data", max_bundle_bytes=8 << 20)
    bomb = _bomb_bundle(16 << 20)
    with TestClient(create_app(platform.settings, platform=platform, static_dir=None)) as client:
        too_big = client.post("/api/v1/models/import", content=bomb, headers={"content-type": "application/zip"})
        assert too_big.status_code == 413 and "max_bundle_bytes" in too_big.json()["error"]["message"]
        small = _bomb_bundle(4 << 20)
        refused = client.post("/api/v1/models/import", content=small, headers={"content-type": "application/zip"})
        assert refused.status_code == 422 and "zip bomb" in refused.json()["error"]["message"]
        assert client.get("/api/v1/models").json()["total"] == 0
