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
failure is an ``InvalidInput`` (422), or ``PayloadTooLarge`` (413) past the size cap.

A bundle is untrusted input, and a zip can inflate a thousandfold (a "zip bomb"). Before anything
is inflated, the central directory's declared sizes are checked (``BundleLimits``: at most three
members, their inflated total under a cap, no member compressed beyond a plausible ratio); then each
member is inflated in bounded chunks, counted against the cap as it goes (a lying directory gains
nothing). An ONNX with external data references is refused when ``register`` loads it
(``OnnxPredictor`` checks ``heimdall.inference.external_data`` before ONNX Runtime sees the file).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
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
CHUNK_BYTES = 1 << 20  # members are inflated this much at a time
RATIO_FLOOR_BYTES = 1 << 20  # members inflating to less than this are not held to the ratio
END_OF_DIRECTORY = b"PK\x05\x06"  # the zip's end-of-central-directory record
END_OF_DIRECTORY_SEARCH_BYTES = 22 + 0xFFFF  # the record plus the longest comment
DIRECTORY_PARSE_ENTRIES = 64  # up to this many, zipfile reads the directory and errors name the members
NAMES_SHOWN = 5  # an error listing unexpected members shows this many names and the count
MANIFEST_MODEL_FIELDS = ("id", "name", "network_id", "parent_model_id", "dataset_ids", "training_config", "layout",
                         "normalization", "metrics", "best_epoch", "created_at")


@dataclass(frozen=True)
class BundleLimits:
    """What an import may cost: the members' inflated total and their compression ratio (settings
    ``max_bundle_bytes``, ``max_bundle_compression_ratio``). ONNX weights and checkpoints barely
    compress (exports store them), so a ratio of 100 leaves room for any real bundle."""

    max_total_bytes: int = 512 << 20
    max_compression_ratio: float = 100.0
    max_members: int = 3  # manifest.json, model.onnx, checkpoint.pt

    @classmethod
    def of(cls, max_bundle_bytes: int, max_bundle_compression_ratio: float) -> BundleLimits:
        return cls(max_total_bytes=max_bundle_bytes, max_compression_ratio=max_bundle_compression_ratio)


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


def unpack_bundle(data: bytes, limits: BundleLimits | None = None) -> Bundle:
    """Read and check a bundle completely; InvalidInput names what is wrong."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise InvalidInput("the bundle is empty", field="bundle")
    limits = limits or BundleLimits()
    _refuse_crowded_directory(data, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_directory(archive, limits)
            manifest = _manifest(archive)
            _refuse_extra(set(archive.namelist()) - set(manifest["files"]) - {MANIFEST_FILE})
            files = {name: _member(archive, name, spec) for name, spec in manifest["files"].items()}
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InvalidInput(f"the bundle is not a readable zip file: {exc}", field="bundle") from exc
    except (NotImplementedError, RuntimeError) as exc:  # zipfile: unknown compression method, encryption
        raise InvalidInput(f"the bundle uses a zip feature Heimdall does not read: {exc}", field="bundle") from exc
    return Bundle(manifest=manifest, onnx=files[ONNX_FILE], checkpoint=files.get(CHECKPOINT_FILE))


def _refuse_crowded_directory(data: bytes, limits: BundleLimits) -> None:
    """Refuse from the end-of-directory record's entry count alone: ``zipfile`` would otherwise build
    an object for each of up to ~350,000 entries a 16 MiB body can hold before anything is checked."""
    at = data.rfind(END_OF_DIRECTORY, max(0, len(data) - END_OF_DIRECTORY_SEARCH_BYTES))
    if at < 0 or at + 12 > len(data):
        return  # not a zip: zipfile says so
    entries = int.from_bytes(data[at + 10:at + 12], "little")
    if entries > DIRECTORY_PARSE_ENTRIES:
        raise InvalidInput(f"the bundle's zip directory lists {entries} entries; a bundle has at most "
                           f"{limits.max_members} ({MANIFEST_FILE}, {ONNX_FILE}, {CHECKPOINT_FILE})",
                           field="bundle", details={"entries": entries})


def _refuse_extra(names: set[str]) -> None:
    """InvalidInput saying how many members are not the manifest's, naming a few (not thousands)."""
    if not names:
        return
    extra = sorted(names)
    shown = ", ".join(extra[:NAMES_SHOWN]) + (f" and {len(extra) - NAMES_SHOWN} more" if len(extra) > NAMES_SHOWN else "")
    raise InvalidInput(f"the bundle holds {len(extra)} file(s) its manifest does not list: {shown}",
                       field="bundle", details={"unexpected_files": len(extra)})


def _check_directory(archive: zipfile.ZipFile, limits: BundleLimits) -> None:
    """Refuse, from the declared sizes alone, a bundle with unknown members or too much to inflate."""
    infos = archive.infolist()
    _refuse_extra({info.filename for info in infos} - {MANIFEST_FILE, ONNX_FILE, CHECKPOINT_FILE})
    if len(infos) > limits.max_members:
        raise InvalidInput(f"the bundle holds {len(infos)} entries (a bundle has at most {limits.max_members}: "
                           "repeated names are refused)", field="bundle")
    total_bytes = sum(info.file_size for info in infos)
    if total_bytes > limits.max_total_bytes:
        raise PayloadTooLarge(f"the bundle inflates to {total_bytes} bytes, more than the "
                              f"{limits.max_total_bytes} this server accepts (max_bundle_bytes)")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
            raise InvalidInput(f"{info.filename} is compressed {ratio:.0f}:1, beyond the "
                               f"{limits.max_compression_ratio:.0f}:1 of any real model (a zip bomb?)",
                               field=info.filename)


def export_bundle(registry: ModelRegistry, model_id: str) -> bytes:
    model = registry.get(model_id)
    checkpoint = registry.checkpoint_bytes(model_id) if model["files"][CHECKPOINT_FILE] else None
    return pack_bundle(model, registry.onnx_bytes(model_id), checkpoint)


def import_bundle(registry: ModelRegistry, data: bytes, *, name: str | None = None,
                  limits: BundleLimits | None = None) -> dict[str, Any]:
    """Register the bundle's model under a new id; its original id and name are kept in ``origin``."""
    bundle = unpack_bundle(data, limits)
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
    if spec is not None and (not isinstance(spec, dict) or not isinstance(spec.get("sha256"), str)):
        raise InvalidInput(f"the manifest entry of {name} needs a sha256", field=f"manifest.files.{name}")
    if spec is not None and spec.get("bytes") != info.file_size:
        raise InvalidInput(f"{name} does not match its checksum in the manifest (its size differs: corrupt or altered)", field=name)
    data, digest = _inflate(archive, info)
    if spec is not None and spec["sha256"].lower() != digest:
        raise InvalidInput(f"{name} does not match its checksum in the manifest (corrupt or altered)", field=name)
    return data


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes, str]:
    """The member's bytes and sha256, inflated a chunk at a time and never past its declared size."""
    buffer, digest = bytearray(), hashlib.sha256()
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            if len(buffer) + len(chunk) > info.file_size:
                raise InvalidInput(f"{info.filename} inflates beyond its declared size", field=info.filename)
            buffer += chunk
            digest.update(chunk)
    return bytes(buffer), digest.hexdigest()


def _optional_str(model: dict[str, Any], key: str) -> str | None:
    value = model.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"manifest model.{key} must be a string or null", field=f"manifest.model.{key}")
    return value
