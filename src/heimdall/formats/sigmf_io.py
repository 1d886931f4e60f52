"""SigMF recordings (``.sigmf-meta`` JSON + ``.sigmf-data`` samples) with a ``heimdall`` extension.

Written: one capture, ``cf32_le`` or ``ci16_le``, ``core:sample_rate`` (the true rate), and per capture
``core:frequency`` and ``core:datetime`` (UTC, nine fractional digits: the instant of the capture's
first sample). The ``heimdall`` extension (declared in ``core:extensions``) adds to the global object
``heimdall:receiver_id``, ``heimdall:lat``, ``heimdall:lon``, ``heimdall:alt_m`` and
``heimdall:timing`` (``gnss`` or ``none``); the position is also given as ``core:geolocation``.
Read: the first capture only (later captures may have their own clock and are ignored).

GNSS time per block (optional; written for recordings from receivers that stamp their samples):

- ``heimdall:gnss_blocks``: ``{"sample_index": [...], "gps_ns": [...], "solution": [...]}``, three
  integer columns, one entry per block of samples: the block's first sample (from the capture's
  start), its GNSS time in nanoseconds since the GPS epoch 1980-01-06T00:00:00 in GPS time (no leap
  seconds; UTC = GPS - 18 s since 2017), and the age of the receiver's last GNSS fix in seconds
  (KiwiSDR ``last_gps_solution``; 253-255 = no usable time, e.g. a stamp the recorder distrusted).
  Readers fit these (``GnssBlocks.fit``) for the true sample rate and the time of sample 0, exactly
  as for KiwiSDR IQ WAV files; ``core:sample_rate`` and ``core:datetime`` hold that fit's result.
- ``heimdall:nominal_sample_rate``: the receiver's nominal rate (e.g. 12000), for diagnostics.
- Other ``heimdall:`` keys a writer passes in ``extra_global`` (e.g. ``heimdall:announced_sample_rate``,
  ``heimdall:snr_db``); annotations (``core:sample_start``/``core:sample_count``/``core:comment``) mark
  stretches of zeros standing for samples lost on the way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.formats.gnss_blocks import GnssBlocks
from heimdall.formats.gnss_time import iso_to_utc_ns, utc_ns_to_iso

SIGMF_VERSION = "1.2.0"
EXTENSION = {"name": "heimdall", "version": "0.1.0", "optional": True}
_DTYPES = {"cf32_le": ("<c8", 1.0), "ci16_le": ("<i2", 32768.0)}


@dataclass(frozen=True)
class SigmfRecording:
    path: Path  # the .sigmf-meta file
    iq: NDArray[np.complex64]  # full scale = 1.0
    sample_rate_hz: float
    frequency_hz: float
    start_utc_ns: int | None  # first sample of the first capture; None without core:datetime
    receiver_id: str | None
    lat: float | None
    lon: float | None
    alt_m: float | None
    timing: str  # "gnss" or "none"
    gnss_blocks: GnssBlocks | None = None  # per-block GNSS time, sample indices from the capture's start
    nominal_sample_rate_hz: float | None = None


def sigmf_paths(path: str | Path) -> tuple[Path, Path]:
    """(meta, data) paths for a base name or either file of a recording."""
    path = Path(path)
    base = path.with_suffix("") if path.suffix in (".sigmf-meta", ".sigmf-data") else path
    return base.with_name(base.name + ".sigmf-meta"), base.with_name(base.name + ".sigmf-data")


def sigmf_metadata(
    *, sample_rate_hz: float, frequency_hz: float, start_utc_ns: int, datatype: str = "cf32_le",
    receiver_id: str | None = None, lat: float | None = None, lon: float | None = None,
    alt_m: float | None = None, timing: str = "gnss", description: str | None = None,
    gnss_blocks: GnssBlocks | None = None, nominal_sample_rate_hz: float | None = None,
    extra_global: dict[str, Any] | None = None, annotations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if datatype not in _DTYPES:
        raise InvalidInput(f"unsupported SigMF datatype {datatype!r} (use one of {sorted(_DTYPES)})")
    global_info: dict[str, Any] = {
        "core:datatype": datatype, "core:sample_rate": float(sample_rate_hz), "core:version": SIGMF_VERSION,
        "core:recorder": "heimdall", "core:extensions": [dict(EXTENSION)], "heimdall:timing": timing,
    }
    if description:
        global_info["core:description"] = description
    if receiver_id is not None:
        global_info["heimdall:receiver_id"] = receiver_id
    if lat is not None and lon is not None:
        altitude = float(alt_m or 0.0)
        global_info.update({"heimdall:lat": float(lat), "heimdall:lon": float(lon), "heimdall:alt_m": altitude})
        global_info["core:geolocation"] = {"type": "Point", "coordinates": [float(lon), float(lat), altitude]}
    if gnss_blocks is not None:
        global_info["heimdall:gnss_blocks"] = gnss_blocks.to_json()
    if nominal_sample_rate_hz is not None:
        global_info["heimdall:nominal_sample_rate"] = float(nominal_sample_rate_hz)
    for key, value in (extra_global or {}).items():
        if not key.startswith("heimdall:") or key in global_info:
            raise InvalidInput(f"extra SigMF field {key!r} must be a new heimdall: key")
        global_info[key] = value
    capture = {"core:sample_start": 0, "core:frequency": float(frequency_hz), "core:datetime": utc_ns_to_iso(start_utc_ns)}
    return {"global": global_info, "captures": [capture], "annotations": list(annotations or [])}


def write_sigmf(path: str | Path, iq: NDArray[np.complexfloating], **metadata: Any) -> Path:
    """Write ``<path>.sigmf-data`` and ``<path>.sigmf-meta``; keyword arguments as ``sigmf_metadata``.
    Returns the meta path."""
    meta = sigmf_metadata(**metadata)
    meta_path, data_path = sigmf_paths(path)
    samples = np.asarray(iq).reshape(-1)
    if meta["global"]["core:datatype"] == "ci16_le":
        interleaved = np.empty(2 * samples.size, dtype="<i2")
        interleaved[0::2] = np.clip(np.round(samples.real * 32768.0), -32768, 32767)
        interleaved[1::2] = np.clip(np.round(samples.imag * 32768.0), -32768, 32767)
        data_path.write_bytes(interleaved.tobytes())
    else:
        data_path.write_bytes(samples.astype("<c8").tobytes())
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta_path


def is_sigmf(path: str | Path) -> bool:
    meta_path, _ = sigmf_paths(path)
    return meta_path.is_file() and (Path(path).suffix in (".sigmf-meta", ".sigmf-data") or not Path(path).exists())


def read_sigmf(path: str | Path) -> SigmfRecording:
    """Read a SigMF recording; ``InvalidInput`` (one line) for missing, malformed or unsupported files."""
    meta_path, data_path = sigmf_paths(path)
    try:
        meta = json.loads(meta_path.read_text())
        raw = data_path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{meta_path.with_suffix('')}: cannot read SigMF recording ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{meta_path}: not valid JSON ({exc})") from exc
    _check_structure(meta_path, meta)
    try:
        return _recording(meta_path, meta, raw)
    except KeyError as exc:
        raise InvalidInput(f"{meta_path}: malformed SigMF metadata (no {exc.args[0]!r})") from exc
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError) as exc:
        raise InvalidInput(f"{meta_path}: malformed SigMF metadata ({exc!r})") from exc


def _check_structure(meta_path: Path, meta: Any) -> None:
    """The shapes and values everything below relies on, each refused with a one-line reason."""
    if not isinstance(meta, dict) or not isinstance(meta.get("global"), dict):
        raise InvalidInput(f"{meta_path}: SigMF metadata needs a 'global' object")
    captures = meta.get("captures", [])
    if not isinstance(captures, list) or not all(isinstance(c, dict) for c in captures):
        raise InvalidInput(f"{meta_path}: SigMF 'captures' must be a list of objects, got {type(captures).__name__}")
    for index, capture in enumerate(captures):
        start = capture.get("core:sample_start", 0)
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise InvalidInput(f"{meta_path}: captures[{index}] core:sample_start must be a non-negative integer")
    rate = meta["global"].get("core:sample_rate", 1.0)  # a missing rate is reported as malformed below
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate) or rate <= 0:
        raise InvalidInput(f"{meta_path}: core:sample_rate must be a positive finite number of Hz, got {rate!r}")
    frequency = captures[0].get("core:frequency", 0.0) if captures else 0.0
    if isinstance(frequency, bool) or not isinstance(frequency, int | float) or not math.isfinite(frequency):
        raise InvalidInput(f"{meta_path}: captures[0] core:frequency must be a finite number of Hz, got {frequency!r}")


def _recording(meta_path: Path, meta: dict[str, Any], raw: bytes) -> SigmfRecording:
    glob = meta["global"]
    datatype = glob["core:datatype"]
    if datatype not in _DTYPES:
        raise InvalidInput(f"{meta_path}: unsupported SigMF datatype {datatype!r} (supported: {sorted(_DTYPES)})")
    dtype, scale = _DTYPES[datatype]
    item = np.dtype(dtype).itemsize * (2 if dtype == "<i2" else 1)
    if len(raw) % item:
        raise InvalidInput(f"{meta_path}: data file is not a whole number of {datatype} samples (truncated?)")
    values = np.frombuffer(raw, dtype=dtype)
    iq = (values[0::2] + 1j * values[1::2]) / scale if dtype == "<i2" else values
    captures = meta.get("captures") or [{"core:sample_start": 0}]
    first = captures[0]
    end = captures[1]["core:sample_start"] if len(captures) > 1 else iq.size
    stamp = first.get("core:datetime")
    nominal = glob.get("heimdall:nominal_sample_rate")
    return SigmfRecording(
        path=meta_path, iq=np.asarray(iq[first.get("core:sample_start", 0):end], dtype=np.complex64),
        sample_rate_hz=float(glob["core:sample_rate"]), frequency_hz=float(first.get("core:frequency", 0.0)),
        start_utc_ns=iso_to_utc_ns(stamp) if stamp else None, receiver_id=glob.get("heimdall:receiver_id"),
        lat=_position(glob, "lat", 1), lon=_position(glob, "lon", 0), alt_m=_position(glob, "alt_m", 2),
        timing=str(glob.get("heimdall:timing", "gnss" if stamp else "none")),
        gnss_blocks=_gnss_blocks(glob, first.get("core:sample_start", 0), end),
        nominal_sample_rate_hz=float(nominal) if nominal is not None else None,
    )


def _gnss_blocks(glob: dict[str, Any], capture_start: int, capture_end: int) -> GnssBlocks | None:
    """The blocks inside the first capture, indices from its start (ValueError etc. when malformed)."""
    if "heimdall:gnss_blocks" not in glob:
        return None
    blocks = GnssBlocks.from_json(glob["heimdall:gnss_blocks"])
    inside = (blocks.sample_index >= 0) & (blocks.sample_index < capture_end - capture_start)
    return GnssBlocks(blocks.sample_index[inside], blocks.gps_ns[inside], blocks.solution[inside])


def _position(glob: dict[str, Any], key: str, index: int) -> float | None:
    if f"heimdall:{key}" in glob:
        return float(glob[f"heimdall:{key}"])
    coordinates = (glob.get("core:geolocation") or {}).get("coordinates") or []
    return float(coordinates[index]) if len(coordinates) > index else None
