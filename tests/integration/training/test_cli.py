"""``heimdall train`` and ``heimdall models`` on a real data directory (SQLite + local blobs), in-process."""

from __future__ import annotations

import re

import pytest
import yaml
from click.testing import CliRunner

from heimdall.cli import heimdall, main

TOY = "configs/training/toy.yaml"
TINY_SETS = ("--set", "epochs=1", "--set", "network.hidden_size=16", "--set", "network.attention_heads=2")


@pytest.fixture
def dataset_config(tmp_path):
    path = tmp_path / "g7-small.yaml"
    path.write_text(yaml.safe_dump({"seed": 2, "num_samples": 300, "network": "g7", "realism": "ideal"}))
    return path


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(heimdall, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_train_generates_a_dataset_trains_registers_deploys_and_the_models_verbs_work(tmp_path, dataset_config):
    data = str(tmp_path / "data")
    out = _invoke("train", "--config", TOY, *TINY_SETS, "--dataset-config", str(dataset_config), "--name", "cli",
                  "--deploy", "--data-dir", data)
    model_id = re.search(r"model ([0-9a-f-]{36}) \(cli\)", out).group(1)
    assert "deployed" in out and "completed" in out
    listed = _invoke("models", "list", "--data-dir", data)
    assert model_id in listed and "yes" in listed and "1 model(s)" in listed
    bundle = tmp_path / "cli.zip"
    _invoke("models", "export", model_id, "--out", str(bundle), "--data-dir", data)
    assert bundle.stat().st_size > 1000
    imported = _invoke("models", "import", str(bundle), "--name", "copy", "--data-dir", data)
    copy_id = re.search(r"imported ([0-9a-f-]{36}) \(copy\)", imported).group(1)
    assert f"deployed {copy_id}" in _invoke("models", "deploy", copy_id, "--data-dir", data)
    listed = _invoke("models", "list", "--data-dir", data)
    assert "2 model(s)" in listed and re.search(rf"{copy_id}\s+yes", listed) and re.search(rf"{model_id}\s+no", listed)


def test_train_without_anything_to_train_on_exits_2_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--config", TOY, "--data-dir", str(tmp_path / "data")])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("heimdall: nothing to train on") and "\n" not in err
    with pytest.raises(SystemExit) as info:
        main(["models", "deploy", "no-such-model", "--data-dir", str(tmp_path / "data")])
    assert info.value.code == 2 and "no model" in capsys.readouterr().err
