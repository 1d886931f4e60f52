"""``GET /networks/{id}/expected-accuracy``: the shape the web app draws, the physics, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.api.routes.accuracy import DEFAULT_RESOLUTION
from heimdall.locate.bounds import expected_error_map

G7_CENTRE = (45.0, 7.5)


def _url(network_id: str) -> str:
    return f"/networks/{network_id}/expected-accuracy"


def _value_near(body: dict, lat: float, lon: float) -> float:
    i = int(np.argmin(np.abs(np.array(body["lat"]) - lat)))
    j = int(np.argmin(np.abs(np.array(body["lon"]) - lon)))
    return body["rms_error_m"][i][j]


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_default_map_has_the_web_apps_shape_around_the_network(client, g7) -> None:
    response = client.get(_url(g7["id"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"lat", "lon", "rms_error_m"}
    assert len(body["lat"]) == len(body["lon"]) == DEFAULT_RESOLUTION
    assert len(body["rms_error_m"]) == DEFAULT_RESOLUTION
    assert all(len(row) == DEFAULT_RESOLUTION for row in body["rms_error_m"])
    assert body["lat"] == sorted(body["lat"]) and body["lon"] == sorted(body["lon"])
    # The grid covers the 50 km ring plus padding on every side.
    assert body["lat"][0] < 44.5 and body["lat"][-1] > 45.5
    assert body["lon"][0] < 6.9 and body["lon"][-1] > 8.1
    # Every G7 receiver does rss+tdoa+aoa: the fused bound is TDoA-class (tens of metres) at the centre.
    assert 5.0 < _value_near(body, *G7_CENTRE) < 100.0


def test_answer_is_exactly_expected_error_map_to_dict(client, g7) -> None:
    body = client.get(_url(g7["id"]), params={"resolution": 9, "modalities": "tdoa"}).json()
    receivers = [{"id": r["id"], "lat": r["lat"], "lon": r["lon"], "alt_m": r["alt_m"]} for r in g7["receivers"]]
    area = {"lat_min": body["lat"][0], "lat_max": body["lat"][-1], "lon_min": body["lon"][0], "lon_max": body["lon"][-1]}
    modalities = {"tdoa": {"sigma_s": 2.05e-7, "receivers": [r["id"] for r in receivers]}}
    assert body == expected_error_map(receivers, modalities, area, resolution=9).to_dict()


@pytest.mark.parametrize(("modality", "low_m", "high_m"), [
    ("tdoa", 20.0, 60.0),        # RF_NOTES: TDoA pairs at 205 ns, ~37 m median over the disc
    ("rss", 5_000.0, 30_000.0),  # RF_NOTES: ~18 km RMS a few km from the centre at 8 dB
    ("aoa", 200.0, 3_000.0),     # RF_NOTES: ~1.5 km RMS a few km from the centre at 3 degrees
])
def test_each_modality_gives_its_rf_notes_magnitude(client, g7, modality, low_m, high_m) -> None:
    body = client.get(_url(g7["id"]), params={"resolution": 33, "modalities": modality}).json()
    assert low_m < _value_near(body, 45.05, 7.55) < high_m


def test_sigma_overrides_scale_the_bound(client, g7) -> None:
    params = {"resolution": 17, "modalities": "tdoa"}
    nominal = client.get(_url(g7["id"]), params=params).json()
    doubled = client.get(_url(g7["id"]), params={**params, "tdoa_sigma_s": 4.1e-7}).json()
    ratio = _value_near(doubled, *G7_CENTRE) / _value_near(nominal, *G7_CENTRE)
    assert ratio == pytest.approx(2.0, rel=1e-3)


def test_toa_on_request_uses_the_tdoa_capable_receivers(client, g7) -> None:
    body = client.get(_url(g7["id"]), params={"resolution": 17, "modalities": "toa"}).json()
    assert 10.0 < _value_near(body, *G7_CENTRE) < 60.0


def test_unknown_network_is_404(client, g7) -> None:
    _error(client.get(_url("00000000-0000-4000-8000-000000000000")), 404, "not_found")


@pytest.mark.parametrize("params", [
    {"resolution": 1}, {"resolution": 10_000}, {"resolution": "many"},
    {"rss_sigma_db": 0}, {"tdoa_sigma_s": -1e-7}, {"aoa_sigma_deg": "wide"},
])
def test_bad_query_parameters_are_422_naming_the_parameter(client, g7, params) -> None:
    error = _error(client.get(_url(g7["id"]), params=params), 422, "invalid_input")
    assert error["details"]["field"] == next(iter(params))


@pytest.mark.parametrize("modalities", ["gps", "rss,radar", " , "])
def test_unknown_modalities_are_422(client, g7, modalities) -> None:
    error = _error(client.get(_url(g7["id"]), params={"modalities": modalities}), 422, "invalid_input")
    assert error["details"]["field"] == "modalities"


def test_a_modality_the_network_lacks_is_422(client) -> None:
    ids = []
    for index, (lat, lon) in enumerate([(45.0, 7.5), (45.3, 7.5), (45.0, 7.9)]):
        created = client.post("/receivers", json={"name": f"web-{index}", "kind": "websdr", "lat": lat, "lon": lon})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    network = client.post("/networks", json={"name": "rss only", "receiver_ids": ids}).json()
    error = _error(client.get(_url(network["id"]), params={"modalities": "tdoa"}), 422, "invalid_input")
    assert error["details"]["field"] == "modalities" and "tdoa" in error["message"]
    # Three RSS-only receivers: power is a nuisance, 3 readings for 3 unknowns, a map comes back.
    body = client.get(_url(network["id"]), params={"resolution": 5}).json()
    assert np.isfinite([v for row in body["rms_error_m"] for v in row if v is not None]).all()


def test_empty_or_too_small_network_is_insufficient_data(client) -> None:
    empty = client.post("/networks", json={"name": "empty"}).json()
    error = _error(client.get(_url(empty["id"])), 422, "insufficient_data")
    assert error["details"]["field"] == "network_id"
    lone = client.post("/receivers", json={"name": "lone", "kind": "websdr", "lat": 45.0, "lon": 7.0}).json()
    single = client.post("/networks", json={"name": "single", "receiver_ids": [lone["id"]]}).json()
    error = _error(client.get(_url(single["id"])), 422, "insufficient_data")
    assert error["details"]["field"] == "network_id" and "single" in error["message"]


def test_disabled_receivers_are_left_out(client, g7) -> None:
    params = {"resolution": 17, "modalities": "aoa"}
    before = _value_near(client.get(_url(g7["id"]), params=params).json(), 45.1, 7.3)
    for receiver in g7["receivers"][1:4]:
        assert client.patch(f"/receivers/{receiver['id']}", json={"enabled": False}).status_code == 200
    after = _value_near(client.get(_url(g7["id"]), params=params).json(), 45.1, 7.3)
    assert after is not None and before is not None and after > 1.2 * before
