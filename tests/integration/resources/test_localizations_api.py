from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef, geodetic_to_enu
from heimdall.services.networks import seed_demo_network

TRUTH = (45.21, 7.38)


@pytest.fixture
def g7(platform, client) -> dict:
    """The demo network as the API shows it (seeded the way ``heimdall serve`` seeds it)."""
    seed_demo_network(platform.session_factory, platform.publish)
    (network,) = client.get("/networks").json()["items"]
    return network


def tdoa_measurement_set(network: dict, truth: tuple[float, float] = TRUTH, **extra) -> dict:
    """Noiseless TDoA of every receiver against the first, receivers named by their names."""
    receivers = network["receivers"]
    ecef = geodetic_to_ecef(
        [r["lat"] for r in receivers], [r["lon"] for r in receivers], [r["alt_m"] for r in receivers]
    )
    range_m = np.linalg.norm(ecef - geodetic_to_ecef(*truth, 0.0), axis=-1)
    reference = receivers[0]["name"]
    return {
        "frequency_hz": 145_500_000,
        "receivers": [
            {"id": r["name"], "lat": r["lat"], "lon": r["lon"], "alt_m": r["alt_m"]} for r in receivers
        ],
        "tdoa": [
            {
                "receiver": r["name"],
                "reference": reference,
                "sigma_s": 2.05e-7,
                "tdoa_s": float((range_m[i] - range_m[0]) / SPEED_OF_LIGHT_M_S),
            }
            for i, r in enumerate(receivers)
            if i > 0
        ],
        **extra,
    }


def test_localize_g7_tdoa_is_within_metres_and_stored(client, g7, logged) -> None:
    response = client.post("/localize", json=tdoa_measurement_set(g7), params={"network_id": g7["id"]})
    assert response.status_code == 200, response.text
    result = response.json()
    east, north, _ = geodetic_to_enu(result["lat"], result["lon"], 0.0, *TRUTH, 0.0)
    assert np.hypot(east, north) < 5.0
    assert result["used"]["tdoa"] == 6 and result["network_id"] == g7["id"]
    assert [e["confidence"] for e in result["ellipses"]] == [0.68, 0.95]
    detail = client.get(f"/localizations/{result['id']}").json()
    assert detail["lat"] == result["lat"] and detail["request"]["tdoa"][0]["reference"] == "G7 rx0"
    page = client.get("/localizations", params={"network_id": g7["id"]}).json()
    assert page["total"] == 1 and page["items"][0]["id"] == result["id"]
    # The estimator's extra fields pass through; the heavy heat map stays out of lists.
    assert "posterior" in result and "posterior" in detail and "posterior" not in page["items"][0]
    assert ("localizations", "localization.result") in logged()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda doc: doc["tdoa"][1].update(sigma_s=0.0), "tdoa[1].sigma_s"),
        (lambda doc: doc["tdoa"][0].update(reference="nobody"), "tdoa[0].reference"),
        (lambda doc: doc.update(method="psychic"), "method"),
        (lambda doc: doc.update(colour="red"), "colour"),
        (lambda doc: doc["receivers"][2].update(lat=95.0), "receivers[2].lat"),
        (lambda doc: doc.pop("tdoa"), ""),
    ],
)
def test_bad_measurement_sets_are_422_naming_the_problem(expect_error, client, g7, mutate, field) -> None:
    doc = tdoa_measurement_set(g7)
    mutate(doc)
    error = expect_error(client.post("/localize", json=doc), 422, "invalid_input")
    assert error["details"]["field"] == field


def test_malformed_bodies_are_422_never_500(expect_error, client, g7) -> None:
    headers = {"content-type": "application/json"}
    expect_error(client.post("/localize", content="{not json", headers=headers), 422, "invalid_input")
    expect_error(client.post("/localize", json=[1, 2, 3]), 422, "invalid_input")
    nan_doc = tdoa_measurement_set(g7)
    nan_doc["tdoa"][0]["tdoa_s"] = float("nan")  # json.dumps writes the non-JSON literal NaN
    error = expect_error(
        client.post("/localize", content=json.dumps(nan_doc), headers=headers), 422, "invalid_input"
    )
    assert error["details"]["field"] == "tdoa[0].tdoa_s"
    too_few = {**tdoa_measurement_set(g7), "tdoa": tdoa_measurement_set(g7)["tdoa"][:1]}
    expect_error(client.post("/localize", json=too_few), 422, "insufficient_data")
    unknown_network = client.post("/localize", json=tdoa_measurement_set(g7), params={"network_id": "nope"})
    assert expect_error(unknown_network, 422, "invalid_input")["details"]["field"] == "network_id"
    assert client.get("/localizations").json()["total"] == 0


def test_neural_without_a_model_is_409(expect_error, client, g7) -> None:
    error = expect_error(
        client.post("/localize", json=tdoa_measurement_set(g7, method="neural")), 409, "no_model"
    )
    assert "no deployed model" in error["message"]


def test_geojson_export_is_a_feature_collection_with_closed_rings(client, g7) -> None:
    result = client.post("/localize", json=tdoa_measurement_set(g7)).json()
    by_suffix = client.get(f"/localizations/{result['id']}.geojson")
    by_query = client.get(f"/localizations/{result['id']}", params={"format": "geojson"})
    assert by_suffix.status_code == 200 and by_suffix.headers["content-type"].startswith(
        "application/geo+json"
    )
    assert by_suffix.json() == by_query.json()
    features = by_suffix.json()["features"]
    estimate = [f for f in features if f["properties"]["role"] == "estimate"]
    assert estimate[0]["geometry"]["coordinates"] == [result["lon"], result["lat"]]
    rings = [f["geometry"]["coordinates"][0] for f in features if f["geometry"]["type"] == "Polygon"]
    assert len(rings) == 2 and all(len(ring) >= 4 and ring[0] == ring[-1] for ring in rings)
    assert sum(f["properties"]["role"] == "receiver" for f in features) == 7


def test_kml_export_is_well_formed_xml(client, g7) -> None:
    result = client.post("/localize", json=tdoa_measurement_set(g7)).json()
    for response in (
        client.get(f"/localizations/{result['id']}.kml"),
        client.get(f"/localizations/{result['id']}", params={"format": "kml"}),
    ):
        assert response.status_code == 200 and "kml" in response.headers["content-type"]
        root = ET.fromstring(response.content)
        assert root.tag == "{http://www.opengis.net/kml/2.2}kml"
        assert len(root.findall(".//{http://www.opengis.net/kml/2.2}Placemark")) == 1 + 2 + 7


def test_unknown_localizations_and_formats(expect_error, client, g7) -> None:
    missing = str(uuid.uuid4())
    for path in (
        f"/localizations/{missing}",
        f"/localizations/{missing}.geojson",
        f"/localizations/{missing}.kml",
    ):
        expect_error(client.get(path), 404, "not_found")
    result = client.post("/localize", json=tdoa_measurement_set(g7)).json()
    error = expect_error(
        client.get(f"/localizations/{result['id']}", params={"format": "shp"}), 422, "invalid_input"
    )
    assert error["details"]["field"] == "format"
    expect_error(client.get("/localizations", params={"limit": 0}), 422, "invalid_input")
