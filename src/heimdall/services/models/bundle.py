"""Portable model bundles: one zip file that moves a registered model between Heimdall installations.

Layout (bundle format version 1)::

    manifest.json    {"format": "heimdall.model_bundle", "bundle_version": 1, "exported_at", "heimdall_version",
                      "model": {id, name, network_id, parent_model_id, dataset_ids, training_config, layout,
                                normalization, metrics, best_epoch, created_at},
                      "files": {"model.onnx": {"sha256", "bytes"}, "checkpoint.pt": {"sha256", "bytes"}}}
    model.onnx       the self-contained ONNX file (its metadata alone is enough to serve it)
    checkpoint.pt    the training checkpoint (absent when the model was registered without one)

Import checks everything before anything is written (a zip, a manifest of this format and version,
exactly the listed files, each with its size and sha256, an ONNX that ONNX Runtime loads) and then
registers through ``ModelRegistry.register``, which never leaves a half-registered model. Every
failure is an ``InvalidInput`` (422).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any, cast

from heimdall import __version__
from heimdall.errors import InvalidInput, PayloadTooLarge
from heimdall.services.common import iso_z
from heimdall.services.models.registry import (
    CHECKPOINT_FILE,
    ONNX_FILE,
    ModelRegistry,
    Provenance,
    sha256_hex,
)
from heimdall.store.db import utcnow

BUNDLE_FORMAT = "heimdall.model_bundle"
BUNDLE_VERSION = 1
MANIFEST_FILE = "manifest.json"
MAX_FILE_BYTES = 1 << 30  # an uncompressed member larger than this is refused before it is read
MANIFEST_MODEL_FIELDS = ("id", "name", "network_id", "parent_model_id", "dataset_ids", "training_config", "layout",
                         "normalization", "metrics", "best_epoch", "created_at")


@dataclass(frozen=True)
class Bundle:
    manifest: dict[str, Any]
    onnx: bytes
    checkpoint: bytes | None

    @property
    def model(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.manifest["model"])


def pack_bundle(model: dict[str, Any], onnx_bytes: bytes, checkpoint_bytes: bytes | None) -> bytes:
    files = {ONNX_FILE: onnx_bytes}
    if checkpoint_bytes is not None:
        files[CHECKPOINT_FILE] = checkpoint_bytes
    manifest = {
        "format": BUNDLE_FORMAT, "bundle_version": BUNDLE_VERSION, "exported_at": iso_z(utcnow()),
        "heimdall_version": __version__,
        "model": {key: model.get(key) for key in MANIFEST_MODEL_FIELDS},
        "files": {name: {"sha256": sha256_hex(data), "bytes": len(data)} for name, data in files.items()},
    }
    buffer = io.BytesIO()
    # ONNX weights and pickled tensors barely compress; storing keeps export and import fast.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True))
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def unpack_bundle(data: bytes) -> Bundle:
    """Read and check a bundle completely; InvalidInput names what is wrong."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise InvalidInput("the bundle is empty", field="bundle")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = _manifest(archive)
            files = {name: _member(archive, name, spec) for name, spec in manifest["files"].items()}
            extra = sorted(set(archive.namelist()) - set(files) - {MANIFEST_FILE})
    except zipfile.BadZipFile as exc:
        raise InvalidInput(f"the bundle is not a readable zip file: {exc}", field="bundle") from exc
    if extra:
        raise InvalidInput(f"the bundle holds files its manifest does not list: {', '.join(extra)}", field="bundle")
    return Bundle(manifest=manifest, onnx=files[ONNX_FILE], checkpoint=files.get(CHECKPOINT_FILE))


def export_bundle(registry: ModelRegistry, model_id: str) -> bytes:
    model = registry.get(model_id)
    checkpoint = registry.checkpoint_bytes(model_id) if model["files"][CHECKPOINT_FILE] else None
    return pack_bundle(model, registry.onnx_bytes(model_id), checkpoint)


def import_bundle(registry: ModelRegistry, data: bytes, *, name: str | None = None) -> dict[str, Any]:
    """Register the bundle's model under a new id; its original id and name are kept in ``origin``."""
    bundle = unpack_bundle(data)
    model = bundle.model
    dataset_ids = model.get("dataset_ids") or []
    if not isinstance(dataset_ids, list) or not all(isinstance(i, str) for i in dataset_ids):
        raise InvalidInput("manifest model.dataset_ids must be a list of ids", field="manifest.model.dataset_ids")
    provenance = Provenance(
        network_id=_optional_str(model, "network_id"), parent_model_id=_optional_str(model, "parent_model_id"),
        dataset_ids=tuple(dataset_ids),
        origin={"id": model.get("id"), "name": model.get("name"), "created_at": model.get("created_at"),
                "exported_at": bundle.manifest.get("exported_at"),
                "heimdall_version": bundle.manifest.get("heimdall_version")},
    )
    return registry.register(name or model.get("name") or "imported model", bundle.onnx, bundle.checkpoint, provenance)


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    raw = _member(archive, MANIFEST_FILE, None)
    try:
        manifest = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"{MANIFEST_FILE} is not valid JSON: {exc}", field="manifest") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise InvalidInput(f"not a Heimdall model bundle (format must be {BUNDLE_FORMAT!r})", field="manifest.format")
    version = manifest.get("bundle_version")
    if version != BUNDLE_VERSION:
        raise InvalidInput(f"unsupported bundle_version {version!r} (this Heimdall reads {BUNDLE_VERSION})",
                           field="manifest.bundle_version")
    files, model = manifest.get("files"), manifest.get("model")
    if not isinstance(model, dict):
        raise InvalidInput("the manifest has no 'model' object", field="manifest.model")
    if not isinstance(files, dict) or ONNX_FILE not in files or not set(files) <= {ONNX_FILE, CHECKPOINT_FILE}:
        raise InvalidInput(f"the manifest must list {ONNX_FILE} (and optionally {CHECKPOINT_FILE}) under 'files'",
                           field="manifest.files")
    return manifest


def _member(archive: zipfile.ZipFile, name: str, spec: Any) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise InvalidInput(f"the bundle has no {name}", field=name) from exc
    if info.file_size > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"{name} is larger than {MAX_FILE_BYTES} bytes")
    data = archive.read(info)
    if spec is None:
        return data
    if not isinstance(spec, dict) or not isinstance(spec.get("sha256"), str):
        raise InvalidInput(f"the manifest entry of {name} needs a sha256", field=f"manifest.files.{name}")
    if spec.get("bytes") != len(data) or spec["sha256"].lower() != sha256_hex(data):
        raise InvalidInput(f"{name} does not match its checksum in the manifest (corrupt or altered)", field=name)
    return data


def _optional_str(model: dict[str, Any], key: str) -> str | None:
    value = model.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"manifest model.{key} must be a string or null", field=f"manifest.model.{key}")
    return value
