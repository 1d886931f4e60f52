"""`heimdall dataset generate | list | show | verify` as real subprocesses over HEIMDALL_DATA_DIR=tmp."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEIMDALL = Path(sys.executable).with_name("heimdall")
TOY = Path(__file__).resolve().parents[3] / "configs" / "datasets" / "toy.yaml"


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("HEIMDALL_")}
    return subprocess.run([str(HEIMDALL), "dataset", *args], env={**clean, "HEIMDALL_DATA_DIR": str(data_dir)},
                          capture_output=True, text=True, timeout=120, check=False)


def test_generate_list_show_verify(tmp_path):
    done = run(["generate", "--config", str(TOY), "--set", "num_samples=300", "--set", "propagation.itm_grid_points=5",
                "--shard-size", "128", "--name", "toy-cli", "--out", str(tmp_path / "export")], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ready, 300 samples in 3 shards" in done.stdout and "sample" in done.stderr  # the tqdm bar
    listed = json.loads(run(["list", "--json"], tmp_path).stdout)
    assert listed["total"] == 1
    dataset = listed["items"][0]
    assert dataset["name"] == "toy-cli" and dataset["status"] == "ready" and dataset["num_samples"] == 300
    assert dataset["config"]["propagation"]["itm_grid_points"] == 5 and dataset["config"]["num_samples"] == 300
    shown = json.loads(run(["show", dataset["id"]], tmp_path).stdout)
    assert [s["start_index"] for s in shown["shards"]] == [0, 128, 256]
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == [
        "dataset.json", "shard-0000000000.arrow", "shard-0000000128.arrow", "shard-0000000256.arrow"]
    assert (tmp_path / "blobs" / shown["shards"][0]["key"]).is_file()

    verified = run(["verify", dataset["id"]], tmp_path)
    assert verified.returncode == 0 and verified.stdout.strip().endswith("ok"), verified.stderr

    (tmp_path / "blobs" / shown["shards"][1]["key"]).write_bytes(b"not a shard")
    broken = run(["verify", dataset["id"]], tmp_path)
    assert broken.returncode == 2
    assert broken.stderr.startswith("heimdall: ") and "corrupt" in broken.stderr and len(broken.stderr.splitlines()) == 1


def test_bad_ids_and_bad_configs_exit_2_with_one_line(tmp_path):
    missing = run(["verify", "no-such-dataset"], tmp_path)
    assert missing.returncode == 2 and "no dataset with id" in missing.stderr and "Traceback" not in missing.stderr
    bad = run(["generate", "--config", str(TOY), "--set", "frequency_hz=-5"], tmp_path)
    assert bad.returncode == 2 and "frequency_hz" in bad.stderr and "Traceback" not in bad.stderr
