"""SigMF metadata errors (issue 9, item 7): ``heimdall locate`` exits 2 with one line, the upload route
answers 422 with the same reason; never a traceback or a 500."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from heimdall.api.app import create_app
from heimdall.formats.sigmf_io import write_sigmf

START_UTC_NS = 1_511_779_316_000_000_000
RECEIVERS = {"RXA": (45.0, 7.5), "RXB": (45.2, 7.7)}

BAD_METADATA = [
    pytest.param(lambda m: m.update(captures={"core:frequency": 77500.0}), "'captures' must be a list", id="captures-dict"),
    pytest.param(lambda m: m.update(captures="x"), "'captures' must be a list", id="captures-string"),
    pytest.param(lambda m: m["global"].update({"core:sample_rate": 0}), "core:sample_rate must be a positive", id="rate-0"),
    pytest.param(lambda m: m["global"].update({"core:sample_rate": float("nan")}), "core:sample_rate must be a positive",
                 id="rate-nan"),
]


def _recordings(folder: Path, damage) -> list[Path]:
    """Two SigMF recordings of the same noise, the second one's metadata damaged by ``damage(meta)``."""
    iq = (0.1 * np.random.default_rng(1).standard_normal(12_000)).astype(np.complex64)
    metas = [write_sigmf(folder / rid, iq, sample_rate_hz=12_000.0, frequency_hz=77_500.0, start_utc_ns=START_UTC_NS,
                         receiver_id=rid, lat=lat, lon=lon) for rid, (lat, lon) in RECEIVERS.items()]
    meta = json.loads(metas[1].read_text())
    damage(meta)
    metas[1].write_text(json.dumps(meta))
    return metas


@pytest.mark.parametrize(("damage", "reason"), BAD_METADATA)
def test_heimdall_locate_exits_2_with_one_line(tmp_path: Path, damage, reason: str) -> None:
    metas = _recordings(tmp_path, damage)
    completed = subprocess.run([sys.executable, "-c", "from heimdall.cli import main; main()", "locate",
                                *map(str, metas)], check=False, capture_output=True, text=True, timeout=120)
    lines = completed.stderr.strip().splitlines()
    assert completed.returncode == 2, completed.stderr
    assert len(lines) == 1 and reason in lines[0] and "Traceback" not in completed.stderr


@pytest.mark.parametrize(("damage", "reason"), BAD_METADATA)
def test_the_upload_route_answers_422_with_the_reason(tmp_path: Path, make_platform, damage, reason: str) -> None:
    metas = _recordings(tmp_path, damage)
    upload = [("recordings", (path.name, path.read_bytes(), "application/octet-stream"))
              for meta in metas for path in (meta, meta.with_suffix(".sigmf-data"))]
    platform = make_platform(data_dir=tmp_path / "data")
    with TestClient(create_app(platform.settings, platform=platform, static_dir=None),
                    base_url="http://testserver/api/v1") as client:
        response = client.post("/localize/recordings", files=upload)
    assert response.status_code == 422, response.text
    assert reason in response.json()["error"]["message"]


def test_recordings_tuned_apart_say_by_how_much_and_what_is_allowed(tmp_path: Path) -> None:
    """The message used to round both frequencies to whole hertz ("X is tuned to 77500 Hz, DF0KL to
    77500 Hz") when a low sample rate made a fraction of a hertz too much."""
    from heimdall.capture.recordings import analyse_recordings
    from heimdall.errors import InvalidInput

    iq = (0.1 * np.random.default_rng(2).standard_normal(64)).astype(np.complex64)
    metas = [write_sigmf(tmp_path / rid, iq, sample_rate_hz=1.0, frequency_hz=frequency_hz, start_utc_ns=START_UTC_NS,
                         receiver_id=rid, lat=lat, lon=lon)
             for (rid, (lat, lon)), frequency_hz in zip(RECEIVERS.items(), (77_500.0, 77_500.4), strict=True)]
    with pytest.raises(InvalidInput) as error:
        analyse_recordings(metas)
    assert "77500.4 Hz" in error.value.message and "0.4 Hz apart" in error.value.message
    assert "(0.25 Hz)" in error.value.message
