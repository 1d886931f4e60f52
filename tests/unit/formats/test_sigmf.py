"""SigMF read/write: files validate with the sigmf package and round-trip exactly."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from sigmf import sigmffile
from sigmf.validate import validate

from heimdall.errors import InvalidInput
from heimdall.formats.gnss_time import iso_to_utc_ns, utc_ns_to_iso
from heimdall.formats.sigmf_io import read_sigmf, write_sigmf

START_NS = 1_511_779_316_129_236_364


def _write(tmp_path: Path, datatype: str, **extra) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(7)
    iq = (0.2 * (rng.standard_normal(3000) + 1j * rng.standard_normal(3000))).astype(np.complex64)
    fields = {"sample_rate_hz": 12001.2, "frequency_hz": 77500.0, "start_utc_ns": START_NS, "datatype": datatype,
                  "receiver_id": "DF0KL", "lat": 53.665337, "lon": 7.282766, "alt_m": 12.0}
    fields.update(extra)
    return write_sigmf(tmp_path / f"rec-{datatype}", iq, **fields), iq


@pytest.mark.parametrize(("datatype", "tolerance"), [("cf32_le", 0.0), ("ci16_le", 1.0 / 32768)])
def test_written_files_validate_and_round_trip(tmp_path: Path, datatype: str, tolerance: float) -> None:
    meta_path, iq = _write(tmp_path, datatype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # undeclared extension namespaces only warn in sigmf today
        validate(json.loads(meta_path.read_text()))
    handle = sigmffile.fromfile(str(meta_path))
    handle.validate()
    assert np.max(np.abs(handle.read_samples() - iq)) <= tolerance + 1e-7
    rec = read_sigmf(meta_path)
    assert np.max(np.abs(rec.iq - iq)) <= tolerance + 1e-7
    assert rec.start_utc_ns == START_NS  # nanoseconds survive core:datetime
    assert (rec.receiver_id, rec.lat, rec.lon, rec.alt_m) == ("DF0KL", 53.665337, 7.282766, 12.0)
    assert (rec.sample_rate_hz, rec.frequency_hz, rec.timing) == (12001.2, 77500.0, "gnss")
    assert read_sigmf(meta_path.with_suffix("")).iq.size == iq.size  # base name works too


def test_iso_nanoseconds_round_trip() -> None:
    assert utc_ns_to_iso(START_NS) == "2017-11-27T10:41:56.129236364Z"
    assert iso_to_utc_ns("2017-11-27T10:41:56.129236364Z") == START_NS
    assert iso_to_utc_ns("2017-11-27T10:41:56Z") == START_NS - 129236364
    with pytest.raises(ValueError):
        iso_to_utc_ns("2017-11-27T10:41:56+02:00")


def test_malformed_recordings_raise_invalid_input(tmp_path: Path) -> None:
    meta_path, _ = _write(tmp_path, "ci16_le")
    data_path = meta_path.with_suffix(".sigmf-data")
    data_path.write_bytes(data_path.read_bytes()[:-1])
    with pytest.raises(InvalidInput, match="whole number"):
        read_sigmf(meta_path)
    meta_path.write_text("{not json")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        read_sigmf(meta_path)
    meta_path.write_text(json.dumps({"global": {"core:datatype": "ru8"}, "captures": []}))
    with pytest.raises(InvalidInput, match="unsupported SigMF datatype"):
        read_sigmf(meta_path)
    meta_path.write_text(json.dumps({"global": {}, "captures": []}))
    with pytest.raises(InvalidInput, match="malformed SigMF metadata \\(no 'core:datatype'\\)"):
        read_sigmf(meta_path)
    with pytest.raises(InvalidInput, match="cannot read"):
        read_sigmf(tmp_path / "missing")
    with pytest.raises(InvalidInput, match="unsupported"):
        write_sigmf(tmp_path / "x", np.zeros(4, np.complex64), sample_rate_hz=1.0, frequency_hz=1.0,
                    start_utc_ns=0, datatype="cu8")


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(captures={"core:sample_start": 0}), "'captures' must be a list"),
    (lambda m: m.update(captures="abc"), "'captures' must be a list"),
    (lambda m: m.update(captures=[5]), "'captures' must be a list"),
    (lambda m: m["global"].update({"core:sample_rate": 0}), "core:sample_rate must be a positive finite"),
    (lambda m: m["global"].update({"core:sample_rate": float("nan")}), "core:sample_rate must be a positive finite"),
    (lambda m: m["global"].update({"core:sample_rate": -12000.0}), "core:sample_rate must be a positive finite"),
    (lambda m: m["global"].update({"core:sample_rate": True}), "core:sample_rate must be a positive finite"),
    (lambda m: m["captures"][0].update({"core:frequency": float("inf")}), "core:frequency must be a finite"),
    (lambda m: m["captures"][0].update({"core:sample_start": -3}), "core:sample_start must be a non-negative"),
    (lambda m: m.update({"global": [1]}), "needs a 'global' object"),
])
def test_metadata_errors_are_one_line_invalid_input(tmp_path: Path, change, message: str) -> None:
    meta_path, _ = _write(tmp_path, "cf32_le")
    meta = json.loads(meta_path.read_text())
    change(meta)
    meta_path.write_text(json.dumps(meta))  # NaN/Infinity are written as JSON's common extension, as numpy users do
    with pytest.raises(InvalidInput, match=message) as error:
        read_sigmf(meta_path)
    assert "\n" not in error.value.message
