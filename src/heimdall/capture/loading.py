"""Loading recordings of any supported format, recognised by content, onto one common shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from heimdall.capture.alignment import TimedIQ
from heimdall.errors import InvalidInput
from heimdall.formats.kiwi import is_kiwi_wav, read_kiwi_wav
from heimdall.formats.sigmf_io import read_sigmf, sigmf_paths

MIN_WAV_HEAD_BYTES = 44  # RIFF/WAVE header, a PCM 'fmt ' chunk and the next chunk's header


@dataclass(frozen=True)
class LoadedRecording:
    path: Path
    format: str  # "kiwi" or "sigmf"
    timed: TimedIQ
    position: dict[str, float] | None  # {"lat", "lon", "alt_m"} from the file's own metadata
    timing_residual_rms_s: float | None
    nominal_sample_rate_hz: float


def recording_kind(path: str | Path) -> str:
    """``"kiwi"``, ``"sigmf"`` or ``"measurement_set"``, from the file's content; InvalidInput otherwise."""
    path = Path(path)
    meta_path, _ = sigmf_paths(path)
    if path.suffix in (".sigmf-meta", ".sigmf-data") or (not path.exists() and meta_path.is_file()):
        return "sigmf"
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if is_kiwi_wav(head):
        return "kiwi"
    if head[:4] == b"RIFF" and len(head) < MIN_WAV_HEAD_BYTES:
        raise InvalidInput(f"{path}: truncated: {len(head)} bytes, too few for a WAV file's headers")
    if head[:4] == b"RIFF":
        raise InvalidInput(f"{path}: a WAV file without KiwiSDR GNSS timestamps ('kiwi' chunks)")
    if head.lstrip()[:1] == b"{":
        return "sigmf" if _is_sigmf_meta(path) else "measurement_set"
    raise InvalidInput(f"{path}: not a KiwiSDR IQ WAV, SigMF recording or measurement-set JSON")


def _is_sigmf_meta(path: Path) -> bool:
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not valid JSON ({exc})") from exc
    return isinstance(doc, dict) and "global" in doc and "captures" in doc


def load_recording(path: str | Path) -> LoadedRecording:
    kind = recording_kind(path)
    if kind == "kiwi":
        return _from_kiwi(Path(path))
    if kind == "sigmf":
        return _from_sigmf(Path(path))
    raise InvalidInput(f"{path}: a measurement set cannot be mixed with recordings")


def _from_kiwi(path: Path) -> LoadedRecording:
    rec = read_kiwi_wav(path)
    if rec.timing is None or rec.start_utc_ns is None:
        raise InvalidInput(f"{path}: no usable GNSS timestamps (receiver without a GNSS fix)")
    timed = TimedIQ(rec.station, rec.iq, rec.start_utc_ns, rec.sample_rate_hz, rec.frequency_hz)
    return LoadedRecording(path, "kiwi", timed, None, rec.timing.residual_rms_s, rec.nominal_sample_rate_hz)


def _from_sigmf(path: Path) -> LoadedRecording:
    """Timed by its per-block GNSS stamps when it has them (as a Kiwi WAV is), else by core:datetime."""
    rec = read_sigmf(path)
    if rec.receiver_id is None:
        raise InvalidInput(f"{rec.path}: no receiver id (heimdall:receiver_id) in the SigMF metadata")
    position = None
    if rec.lat is not None and rec.lon is not None:
        position = {"lat": rec.lat, "lon": rec.lon, "alt_m": rec.alt_m or 0.0}
    nominal_hz = rec.nominal_sample_rate_hz or rec.sample_rate_hz
    if rec.gnss_blocks is not None and rec.timing == "gnss":
        timing = rec.gnss_blocks.fit(nominal_hz)
        if timing is None:
            raise InvalidInput(f"{rec.path}: fewer than three usable GNSS stamps in heimdall:gnss_blocks")
        timed = TimedIQ(rec.receiver_id, rec.iq, timing.start_utc_ns, timing.sample_rate_hz, rec.frequency_hz)
        return LoadedRecording(rec.path, "sigmf", timed, position, timing.fit.residual_rms_s, nominal_hz)
    if rec.start_utc_ns is None or rec.timing != "gnss":
        raise InvalidInput(f"{rec.path}: no GNSS-timed core:datetime, so it cannot be aligned with other receivers")
    timed = TimedIQ(rec.receiver_id, rec.iq, rec.start_utc_ns, rec.sample_rate_hz, rec.frequency_hz)
    return LoadedRecording(rec.path, "sigmf", timed, position, None, nominal_hz)
