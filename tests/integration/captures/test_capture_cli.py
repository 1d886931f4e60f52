"""``heimdall capture``: bad input exits 2 with one line; --receiver records three fakes straight into
--out and prints the fix; --network captures through the local platform and stores it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from heimdall.cli import main
from heimdall.cli.capture import parse_frequency
from heimdall.geo import geodetic_to_enu
from heimdall.platform.root import build_platform
from heimdall.settings import Settings
from support.kiwi_fakes import DCF77, FakeNetwork, register


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from heimdall.cli import main; main()", "capture", *args],
                          check=False, capture_output=True, text=True, timeout=120,
                          env={"HEIMDALL_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": ":".join(sys.path)})


def test_frequencies_parse_with_k_and_m_suffixes() -> None:
    assert parse_frequency("77.5k") == 77_500.0 and parse_frequency("7.1M") == 7_100_000.0
    assert parse_frequency("77500") == 77_500.0 and parse_frequency("10kHz") == 10_000.0


@pytest.mark.parametrize("args", [
    ["--freq", "77.5k", "--duration", "10"],                                     # neither --network nor --receiver
    ["--network", "n", "--receiver", "http://127.0.0.1:9", "--freq", "77.5k", "--duration", "10"],
    ["--receiver", "http://127.0.0.1:9", "--freq", "abc", "--duration", "10"],
    ["--receiver", "http://127.0.0.1:9", "--freq", "40M", "--duration", "10"],
    ["--receiver", "http://127.0.0.1:9", "--freq", "77.5k", "--duration", "0"],
    ["--receiver", "http://127.0.0.1:9", "--freq", "77.5k", "--duration", "10"],  # one receiver cannot locate
    ["--network", "nosuch", "--freq", "77.5k", "--duration", "10"],
])
def test_bad_input_exits_2_with_one_line(args: list[str], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["capture", *args, "--data-dir", str(tmp_path)])
    stderr = capsys.readouterr().err
    assert exited.value.code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("heimdall: "), stderr


def test_unreachable_receivers_exit_2_at_once(tmp_path: Path) -> None:
    urls = [f"http://127.0.0.1:9/{i}" for i in range(3)]
    done = run_cli(*[a for url in urls for a in ("--receiver", url)], "--freq", "77.5k", "--duration", "5",
                   data_dir=tmp_path)
    assert done.returncode == 2 and "127.0.0.1:9" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def _miss_m(fix: dict) -> float:
    east, north, _ = geodetic_to_enu(DCF77[0], DCF77[1], 0.0, fix["lat"], fix["lon"], 0.0)
    return float(np.hypot(east, north))


@pytest.mark.slow
def test_receiver_urls_record_into_out_and_print_the_fix(fake_network: FakeNetwork, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    fakes = fake_network.start()
    out = tmp_path / "out"
    main(["capture", *[a for f in fakes for a in ("--receiver", f.url)], "--freq", "77.5k", "--duration", "6",
          "--out", str(out), "--json", "--data-dir", str(tmp_path / "data")])
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert sorted(result["recordings"]) == ["DF0KL", "F1JEK", "HB9RYZ"]
    assert len(list(out.glob("*.sigmf-meta"))) == 3 and len(list(out.glob("*.sigmf-data"))) == 3
    assert _miss_m(result["localization"]) < 10_000.0
    assert "recording" in captured.err and "done" in captured.err  # progress per receiver


@pytest.mark.slow
def test_network_name_captures_through_the_local_platform(fake_network: FakeNetwork, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    fakes = fake_network.start()
    data_dir = tmp_path / "data"
    with build_platform(Settings(data_dir=data_dir, demo_network=False), inline_jobs=True) as platform:
        platform.networks.create({"name": "dcf", "receiver_ids": register(platform, fakes)})
    monkeypatch.setenv("HEIMDALL_DEMO_NETWORK", "false")
    main(["capture", "--network", "dcf", "--freq", "77.5k", "--duration", "6", "--data-dir", str(data_dir)])
    captured = capsys.readouterr()
    assert captured.out.startswith("position: ") and "95% ellipse" in captured.out
    assert "DF0KL" in captured.err and "recording [" in captured.err and "done" in captured.err
    with build_platform(Settings(data_dir=data_dir, demo_network=False), inline_jobs=True) as platform:
        stored = platform.captures.list()["items"]
    assert len(stored) == 1 and stored[0]["status"] == "completed"
    assert _miss_m(stored[0]["localization"]) < 10_000.0
