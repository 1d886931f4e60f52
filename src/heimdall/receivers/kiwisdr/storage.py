"""A GNSS-timed KiwiSDR recording as SigMF, written only inside the directory it is given.

The file name is ``<UTC start yyyymmddThhmmssZ>_<frequency_hz>_<receiver id>`` + ``.sigmf-meta`` /
``.sigmf-data``. The receiver id is reduced to ``[A-Za-z0-9._-]`` without ``..`` (a name a remote server chose must
never steer a path), and an existing recording is never overwritten: a ``_2``, ``_3``... suffix is
added. Samples are stored as ``ci16_le``, which holds a KiwiSDR's 16-bit samples exactly.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from heimdall.errors import InvalidInput
from heimdall.formats.gnss_time import utc_ns_to_datetime, utc_ns_to_iso
from heimdall.formats.sigmf_io import sigmf_paths, write_sigmf
from heimdall.receivers.kiwisdr.recording import GnssRecording

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_part(text: str, *, fallback: str = "receiver", max_chars: int = 64) -> str:
    cleaned = re.sub(r"\.{2,}", ".", _UNSAFE.sub("_", text)).strip("._-")[:max_chars]
    return cleaned or fallback


def recording_stem(recording: GnssRecording) -> str:
    start = utc_ns_to_datetime(recording.start_utc_ns).strftime("%Y%m%dT%H%M%SZ")
    return f"{start}_{round(recording.frequency_hz)}_{safe_file_part(recording.receiver_id)}"


def write_recording_sigmf(recording: GnssRecording, directory: str | Path, *, description: str | None = None) -> Path:
    """Write the recording as SigMF with its per-block GNSS time; returns the ``.sigmf-meta`` path."""
    folder = Path(directory).resolve()
    if not folder.is_dir():
        raise InvalidInput(f"{directory}: not a directory")
    base = _free_base(folder, recording_stem(recording))
    lat, lon, alt_m = recording.position if recording.position is not None else (None, None, None)
    return write_sigmf(
        base, recording.iq, datatype="ci16_le", sample_rate_hz=recording.sample_rate_hz,
        frequency_hz=recording.frequency_hz, start_utc_ns=recording.start_utc_ns, receiver_id=recording.receiver_id,
        lat=lat, lon=lon, alt_m=alt_m, timing="gnss", description=description, gnss_blocks=recording.gnss,
        nominal_sample_rate_hz=recording.nominal_sample_rate_hz, extra_global=_extra(recording),
        annotations=[{"core:sample_start": gap.sample_index, "core:sample_count": gap.missing_samples,
                      "core:comment": f"{gap.missing_frames} frames lost on the way: zeros"}
                     for gap in recording.gaps],
    )


def _extra(recording: GnssRecording) -> dict[str, object]:
    return {
        "heimdall:announced_sample_rate": recording.announced_sample_rate_hz,
        "heimdall:timing_residual_rms_s": recording.timing.fit.residual_rms_s,
        "heimdall:window_start": utc_ns_to_iso(recording.window.start_utc_ns),
        "heimdall:window_duration_s": recording.window.duration_s,
        "heimdall:snr_db": recording.snr_db if math.isfinite(recording.snr_db) else None,
        "heimdall:smeter_dbm": recording.smeter_dbm,
        "heimdall:adc_overflow_blocks": recording.adc_overflow_blocks,
    }


def _free_base(folder: Path, stem: str) -> Path:
    for attempt in range(1, 1000):
        base = folder / (stem if attempt == 1 else f"{stem}_{attempt}")
        meta, data = sigmf_paths(base)
        if base.resolve().parent != folder:
            raise InvalidInput(f"{stem}: not a plain file name")
        if not meta.exists() and not data.exists():
            return base
    raise InvalidInput(f"{folder}: too many recordings named {stem}")
