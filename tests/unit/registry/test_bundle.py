"""Portable bundles: export, import, and every way a bundle can be refused (nothing half-registered)."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.inference import OnnxPredictor
from heimdall.locate import parse_measurement_set
from heimdall.services.models.bundle import (
    BUNDLE_VERSION,
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
