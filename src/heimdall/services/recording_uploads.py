"""Locate from uploaded recordings (KiwiSDR IQ WAV, SigMF pairs), like ``heimdall locate FILE...``.

The files are copied into a fresh directory under ``<data_dir>/uploads`` (never larger than the
upload limit), run through the recordings pipeline (``heimdall.capture``) there, and the directory
is removed whatever happens. The measurement set it yields is located and stored by the
localization service, exactly as ``POST /localize`` stores one: a stored localization and a
``localization.result`` event. File names matter: a KiwiSDR file names its station
(``<UTC>_<frequency_hz>_<station>_iq.wav``), so they are kept, but only as plain names.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from heimdall.capture.locating import recordings_measurement_set
from heimdall.errors import InvalidInput, PayloadTooLarge
from heimdall.services.localizations import LocalizationService

FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$")
SIGMF_PARTS = (".sigmf-meta", ".sigmf-data")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Upload:
    filename: str
    file: BinaryIO


class RecordingUploads:
    def __init__(self, localizations: LocalizationService, work_dir: Path, *, max_bytes: int, max_files: int) -> None:
        self._localizations = localizations
        self._work_dir = work_dir
        self._max_bytes = max_bytes
        self._max_files = max_files

    def localize(self, uploads: Sequence[Upload], receivers_json: str | None = None,
                 network_id: str | None = None) -> dict[str, Any]:
        """The stored result (CONTRACT 4.2 plus id) and the pipeline's diagnostics under ``recordings``."""
        names = self._check_names(uploads)
        receivers = parse_receivers(receivers_json)
        with self._workspace() as directory:
            self._store(uploads, names, directory)
            doc, diagnostics = recordings_measurement_set(recording_paths(directory, names), receivers)
            for receiver in diagnostics.get("receivers", []):
                receiver["path"] = Path(receiver["path"]).name  # never a server path
            result = self._localizations.localize({**doc, "method": "classical"}, network_id=network_id)
        return {**result, "recordings": diagnostics}

    def _check_names(self, uploads: Sequence[Upload]) -> list[str]:
        if len(uploads) > self._max_files:
            raise PayloadTooLarge(f"at most {self._max_files} files per upload", field="recordings")
        names = [Path(u.filename or "").name for u in uploads]
        for name in names:
            if not FILE_NAME.fullmatch(name):
                raise InvalidInput(f"file name {name!r}: use letters, digits, '.', '_', '+', '-' only",
                                   field="recordings")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise InvalidInput(f"the same file twice: {', '.join(repeated)}", field="recordings")
        return names

    @contextmanager
    def _workspace(self) -> Iterator[Path]:
        self._work_dir.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix="recordings-", dir=self._work_dir))
        try:
            yield directory
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def _store(self, uploads: Sequence[Upload], names: list[str], directory: Path) -> None:
        total = 0
        for upload, name in zip(uploads, names, strict=True):
            with (directory / name).open("wb") as out:
                while chunk := upload.file.read(_CHUNK):
                    total += len(chunk)
                    if total > self._max_bytes:
                        raise PayloadTooLarge(f"the recordings exceed the upload limit of {self._max_bytes} bytes",
                                              field="recordings")
                    out.write(chunk)


def recording_paths(directory: Path, names: list[str]) -> list[Path]:
    """One path per recording: every KiwiSDR file, and each SigMF pair once (both parts required)."""
    paths: list[Path] = []
    stems: dict[str, set[str]] = {}
    for name in names:
        suffix = next((s for s in SIGMF_PARTS if name.endswith(s)), None)
        if suffix is None:
            paths.append(directory / name)
        else:
            stems.setdefault(name[: -len(suffix)], set()).add(suffix)
    for stem, parts in sorted(stems.items()):
        missing = [s for s in SIGMF_PARTS if s not in parts]
        if missing:
            raise InvalidInput(f"SigMF recording {stem!r} lacks its {missing[0]} file", field="recordings")
        paths.append(directory / f"{stem}.sigmf-meta")
    return paths


def parse_receivers(text: str | None) -> dict[str, dict[str, Any]] | None:
    """``{"receivers": [{"id", "lat", "lon", "alt_m"}]}`` (the CLI's --receivers file) by id, or None."""
    if text is None or not text.strip():
        return None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"receivers: not valid JSON ({exc.msg})", field="receivers") from exc
    entries = doc.get("receivers") if isinstance(doc, dict) else doc
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "id" in e for e in entries):
        raise InvalidInput('receivers: expected {"receivers": [{"id", "lat", "lon", "alt_m"}]}', field="receivers")
    return {str(e["id"]): e for e in entries}
