from __future__ import annotations

import math

import numpy as np
import pytest

from heimdall.errors import InsufficientData, InvalidInput
from heimdall.locate import measurement_set_to_dict, parse_measurement_set


def test_parse_resolves_ids_and_defaults(valid_doc: dict) -> None:
    ms = parse_measurement_set(valid_doc)
    assert ms.counts() == {"toa": 7, "tdoa": 6, "rss": 7, "aoa": 7}
    assert ms.receivers.ids[ms.tdoa.reference[0]] == "rx0"
    assert ms.method == "auto" and ms.eirp_dbm is None
    assert ms.propagation.path_loss_exponent == 3.0
    assert isinstance(ms.rss.power_dbm, np.ndarray)


def test_round_trip(valid_doc: dict) -> None:
    valid_doc["search_area"] = {"lat_min": 44.0, "lat_max": 46.0, "lon_min": 6.5, "lon_max": 8.5}
    valid_doc["eirp_dbm"] = 40.0
    valid_doc["propagation"]["path_loss_exponent"] = None
    first = measurement_set_to_dict(parse_measurement_set(valid_doc))
    second = measurement_set_to_dict(parse_measurement_set(first))
    assert first == second
    assert first["propagation"]["path_loss_exponent"] is None
    assert first["rss"][2] == valid_doc["rss"][2]


def _set(doc: dict, path: list, value: object) -> dict:
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


BAD_CASES = [
    ("unknown receiver", ["rss", 1, "receiver"], "rx99", "rss[1].receiver"),
    ("unknown reference", ["tdoa", 0, "reference"], "nope", "tdoa[0].reference"),
    ("duplicate id", ["receivers", 3, "id"], "rx1", "receivers[3].id"),
    ("nan power", ["rss", 2, "power_dbm"], math.nan, "rss[2].power_dbm"),
    ("inf toa", ["toa", 4, "toa_s"], math.inf, "toa[4].toa_s"),
    ("zero sigma", ["rss", 2, "sigma_db"], 0.0, "rss[2].sigma_db"),
    ("negative sigma", ["aoa", 0, "sigma_deg"], -1.0, "aoa[0].sigma_deg"),
    ("string sigma", ["tdoa", 1, "sigma_s"], "1e-7", "tdoa[1].sigma_s"),
    ("nan latitude", ["receivers", 0, "lat"], math.nan, "receivers[0].lat"),
    ("unknown method", ["method"], "magic", "method"),
    ("unknown propagation", ["propagation", "model"], "itm_v9", "propagation.model"),
    ("unknown field", ["colour"], "red", "colour"),
    ("inverted area", ["search_area"], {"lat_min": 46.0, "lat_max": 45.0, "lon_min": 7.0, "lon_max": 8.0},
     "search_area.lat_min"),
    ("empty area", ["search_area"], {"lat_min": 45.0, "lat_max": 45.0, "lon_min": 7.0, "lon_max": 8.0},
     "search_area.lat_min"),
    ("area without receivers", ["search_area"], {"lat_min": 10.0, "lat_max": 11.0, "lon_min": 7.0, "lon_max": 8.0},
     "search_area"),
]


@pytest.mark.parametrize(("case", "path", "value", "field"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_names_the_field(valid_doc: dict, case: str, path: list, value: object, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_measurement_set(_set(valid_doc, path, value))
    assert info.value.field == field, info.value.message
    assert info.value.to_dict()["error"]["details"]["field"] == field


def test_same_position_rejected_only_when_both_used(valid_doc: dict) -> None:
    twin = dict(valid_doc["receivers"][2], id="rx2b")
    valid_doc["receivers"].append(twin)
    parse_measurement_set(valid_doc)  # rx2b unused: fine
    valid_doc["aoa"].append({"receiver": "rx2b", "bearing_deg": 10.0, "sigma_deg": 3.0})
    with pytest.raises(InvalidInput, match="same position"):
        parse_measurement_set(valid_doc)


def test_no_measurements(valid_doc: dict) -> None:
    for name in ("rss", "tdoa", "toa", "aoa"):
        valid_doc.pop(name)
    with pytest.raises(InvalidInput) as info:
        parse_measurement_set(valid_doc)
    assert "at least one" in info.value.message
    assert not isinstance(info.value, InsufficientData)


@pytest.mark.parametrize(("modality", "keep"), [("toa", 2), ("rss", 2), ("aoa", 1), ("tdoa", 1)])
def test_fewer_measurements_than_unknowns(valid_doc: dict, modality: str, keep: int) -> None:
    doc = {k: v for k, v in valid_doc.items() if k not in ("rss", "tdoa", "toa", "aoa")}
    doc[modality] = valid_doc[modality][:keep]
    with pytest.raises(InsufficientData):
        parse_measurement_set(doc)


def test_estimated_exponent_needs_one_more_rss(valid_doc: dict) -> None:
    doc = {k: v for k, v in valid_doc.items() if k not in ("tdoa", "toa", "aoa")}
    doc["rss"] = valid_doc["rss"][:3]
    parse_measurement_set(doc)
    doc["propagation"] = {"model": "log_distance", "path_loss_exponent": None}
    with pytest.raises(InsufficientData):
        parse_measurement_set(doc)


def test_tdoa_against_itself_rejected(valid_doc: dict) -> None:
    valid_doc["tdoa"][0]["reference"] = valid_doc["tdoa"][0]["receiver"]
    with pytest.raises(InvalidInput) as info:
        parse_measurement_set(valid_doc)
    assert info.value.field == "tdoa[0].reference"


def test_known_eirp_needs_frequency(valid_doc: dict) -> None:
    valid_doc["eirp_dbm"] = 40.0
    del valid_doc["frequency_hz"]
    with pytest.raises(InvalidInput) as info:
        parse_measurement_set(valid_doc)
    assert info.value.field == "frequency_hz"


def test_not_an_object() -> None:
    with pytest.raises(InvalidInput):
        parse_measurement_set([1, 2])  # type: ignore[arg-type]
