"""Dataset config validation: impossible configs raise InvalidInput naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from heimdall.errors import InvalidInput
from heimdall.synth import DatasetConfig, g7, load_config

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "datasets"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"frequency_hz": -1.0}, "frequency_hz"),
        ({"network": []}, "network"),
        ({"network": [{"id": "a", "lat": 91, "lon": 0}]}, "network.0.lat"),
        ({"network": [{"id": "a", "lat": 0, "lon": 0, "capabilities": ["sonar"]}]}, "network.0.capabilities.0"),
        ({"network": {"count": 3, "center_lat": 45, "center_lon": 7, "radius_m": 50}}, "network.radius_m"),
        ({"network": {"count": 400, "center_lat": 45, "center_lon": 7, "radius_m": 5000}}, "network.radius_m"),
        ({"transmitters": {"signal_types": {"nbfm_voice": 0.5, "cw": 0.4}}}, "transmitters.signal_types"),
        ({"transmitters": {"signal_types": {"ssb": 1.0}}}, "transmitters.signal_types"),
        ({"transmitters": {"area": {"center_lat": 45, "center_lon": 7, "radius_m": 10}}}, "transmitters.area.radius_m"),
        ({"transmitters": {"eirp_dbm": [50, 30]}}, "transmitters.eirp_dbm"),
        ({"propagation": {"model": "itm"}}, "propagation.terrain"),
        ({"seed": -3}, "seed"),
        ({"schema_version": 2}, "schema_version"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_impossible_configs_name_the_field(patch, field):
    with pytest.raises(InvalidInput) as info:
        load_config(patch)
    assert info.value.field == field
    assert info.value.http_status == 422
    assert info.value.to_dict()["error"]["details"]["field"] == field


def test_defaults_are_the_g7_network_and_versioned():
    config = load_config({})
    assert config.schema_version == 1 and config.network == "g7"
    assert config.fingerprint() == load_config({}).fingerprint()
    assert config.fingerprint() != load_config({"seed": 1}).fingerprint()


def test_g7_geometry():
    receivers = g7()
    assert [r["id"] for r in receivers] == [f"rx{i}" for i in range(7)]
    assert receivers[0]["lat"] == 45.0 and receivers[0]["lon"] == 7.5
    assert receivers[1]["lat"] == pytest.approx(45.0 + 50_000 / 111_132, abs=0.002)  # due north
    assert all(r["alt_m"] == 300.0 and r["timing"] == "gnss" for r in receivers)
    DatasetConfig.model_validate({"network": receivers})  # dicts are valid receiver specs


@pytest.mark.parametrize("name", ["toy.yaml", "g7.yaml"])
def test_shipped_configs_load(name):
    config = load_config(CONFIGS / name)
    assert config.schema_version == 1


def test_unreadable_file_is_invalid_input(tmp_path):
    with pytest.raises(InvalidInput):
        load_config(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(InvalidInput):
        load_config(tmp_path / "list.yaml")
