"""Dataset configs from a stored network plus options, and ``--set key.path=value`` overrides."""

from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.services.datasets.config import (
    apply_overrides,
    config_from_network,
    config_to_json,
    parse_override,
    receiver_spec,
)
from heimdall.synth import load_config


def _receiver(name: str, **changes) -> dict:
    values = {"id": f"id-{name}", "name": name, "kind": "kiwisdr", "lat": 45.0, "lon": 7.5, "alt_m": 300.0,
              "capabilities": ["rss", "tdoa"], "timing": "gnss", "noise_figure_db": None, "antenna": None,
              "enabled": True}
    return {**values, **changes}


NETWORK = {"name": "n", "receivers": [
    _receiver("a"),
    _receiver("b", lat=45.1, kind="openwebrx", capabilities=["rss"], timing="none", noise_figure_db=9.0,
              antenna={"gain_dbi": 2.5, "type": "omni"}),
    _receiver("c", lat=44.9, lon=7.6, enabled=False),
    _receiver("d", lon=7.7, kind="websdr", capabilities=["rss"], timing="none"),
]}


def test_the_config_simulates_the_enabled_receivers_in_network_order():
    config = config_from_network(NETWORK, {"seed": 5, "num_samples": 100})
    assert [rx.id for rx in config.network] == ["id-a", "id-b", "id-d"]
    assert [rx.s_meter for rx in config.network] == [False, True, True]
    b = config.network[1]
    assert b.noise_figure_db == 9.0 and b.antenna_gain_dbi == 2.5 and b.name == "b" and b.capabilities == ["rss"]
    assert config.network[0].noise_figure_db == 6.0  # the simulator's default when the receiver has none
    assert config.seed == 5 and config.num_samples == 100 and config.schema_version == 1


def test_options_reach_the_simulator_and_errors_name_the_dotted_field():
    config = config_from_network(NETWORK, {"frequency_hz": 433.5e6, "realism": "channel",
                                           "propagation": {"model": "free_space"}})
    assert config.frequency_hz == 433.5e6 and config.realism == "channel" and config.propagation.model == "free_space"
    cases = [({"frequency_hz": -1}, "frequency_hz"),
             ({"transmitters": {"signal_types": {"nbfm_voice": 0.3, "cw": 0.3}}}, "transmitters.signal_types"),
             ({"transmitters": {"signal_types": {"semaphore": 1.0}}}, "transmitters.signal_types"),
             ({"observation": {"duration_s": [2, 1]}}, "observation.duration_s"),
             ({"network": "g7"}, "network")]
    for options, field in cases:
        with pytest.raises(InvalidInput) as error:
            config_from_network(NETWORK, options)
        assert error.value.field == field, options


def test_a_network_without_enabled_receivers_is_refused():
    with pytest.raises(InvalidInput) as error:
        config_from_network({"name": "x", "receivers": [_receiver("a", enabled=False)]}, {})
    assert error.value.field == "network_id"
    with pytest.raises(InvalidInput):
        config_from_network({"name": "x", "receivers": []}, {})


def test_the_stored_config_reads_back_to_the_same_config():
    config = config_from_network(NETWORK, {"seed": 3, "transmitters": {"eirp_dbm": [20, 30]}})
    stored = config_to_json(config)
    assert stored["transmitters"]["eirp_dbm"] == [20.0, 30.0] and stored["iq"]["enabled"] is False
    assert load_config(stored) == config and load_config(stored).fingerprint() == config.fingerprint()


def test_receiver_spec_without_optional_fields():
    spec = receiver_spec({"id": "r", "lat": 1.0, "lon": 2.0})
    assert spec["capabilities"] == ["rss"] and spec["timing"] == "none" and "noise_figure_db" not in spec


def test_overrides_set_nested_keys_with_yaml_values():
    raw = {"seed": 1, "propagation": {"model": "itm"}, "network": [{"id": "a", "lat": 1.0}]}
    result = apply_overrides(raw, ["seed=7", "propagation.model=free_space", "transmitters.eirp_dbm=[20, 30]",
                                   "network.0.lat=45.5", "iq.enabled=true", "observation.time_measurement=tdoa"])
    assert result["seed"] == 7 and result["propagation"] == {"model": "free_space"}
    assert result["transmitters"] == {"eirp_dbm": [20, 30]} and result["network"][0]["lat"] == 45.5
    assert result["iq"] == {"enabled": True} and result["observation"]["time_measurement"] == "tdoa"
    assert raw["seed"] == 1 and raw["network"][0]["lat"] == 1.0  # the input is not modified


def test_parse_override_splits_the_path_and_parses_the_value():
    assert parse_override("a.b.c=3") == (["a", "b", "c"], 3)
    assert parse_override("name=hello world") == (["name"], "hello world")
    assert parse_override("x=") == (["x"], None)
    assert parse_override("x={k: 1.5}") == (["x"], {"k": 1.5})


@pytest.mark.parametrize("item", ["novalue", "=3", "a..b=1", "x=[1, 2", "network.z.lat=1", "network.5.lat=1",
                                  "seed.x=1"])
def test_bad_overrides_are_invalid_input(item):
    with pytest.raises(InvalidInput) as error:
        apply_overrides({"seed": 1, "network": [{"id": "a"}]}, [item])
    assert error.value.field == "--set"
