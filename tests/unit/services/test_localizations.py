from __future__ import annotations

import copy
import uuid

import numpy as np
import pytest

from heimdall.errors import InsufficientData, InvalidInput, NoModelAvailable, NotFound
from heimdall.geo import geodetic_to_enu
from heimdall.services.localizations import DefaultMethodResolver, LocalizationService


@pytest.fixture
def localizations(platform, events) -> LocalizationService:
    return platform.localizations


def _error_m(result: dict, lat: float, lon: float) -> float:
    east, north, _ = geodetic_to_enu(result["lat"], result["lon"], 0.0, lat, lon, 0.0)
    return float(np.hypot(east, north))


def test_noiseless_g7_tdoa_lands_on_the_truth_and_is_stored(localizations, events, g7_tdoa) -> None:
    doc = g7_tdoa(45.12, 7.43)
    result = localizations.localize(copy.deepcopy(doc))
    assert _error_m(result, 45.12, 7.43) < 5.0
    assert uuid.UUID(result["id"]) and result["created_at"].endswith("Z") and result["network_id"] is None
    assert result["method"].startswith("classical") and result["used"]["tdoa"] == 6
    assert [e["confidence"] for e in result["ellipses"]] == [0.68, 0.95]
    topic, event, data = events.events[-1]
    assert (topic, event, data["id"]) == ("localizations", "localization.result", result["id"])
    assert "posterior" not in data  # events and lists carry no heat map; the detail does
    stored = localizations.get(result["id"])
    assert stored["request"] == doc and stored["lat"] == result["lat"]


def test_bad_measurement_sets_are_invalid_and_not_stored(localizations, events, g7_tdoa) -> None:
    doc = g7_tdoa()
    doc["tdoa"][2]["sigma_s"] = -1.0
    with pytest.raises(InvalidInput) as caught:
        localizations.localize(doc)
    assert caught.value.field == "tdoa[2].sigma_s"
    with pytest.raises(InsufficientData):
        localizations.localize({**g7_tdoa(), "tdoa": g7_tdoa()["tdoa"][:1]})
    with pytest.raises(InvalidInput):
        localizations.localize(["not", "an", "object"])
    assert localizations.list()["total"] == 0 and events.events == []


def test_neural_without_a_deployed_model_is_409(localizations, g7_tdoa) -> None:
    with pytest.raises(NoModelAvailable) as caught:
        localizations.localize(g7_tdoa(method="neural"))
    assert caught.value.http_status == 409 and "no deployed model" in caught.value.message
    assert localizations.list()["total"] == 0


def test_an_injected_neural_predictor_is_used(session_factory, events, g7_tdoa) -> None:
    def predictor(ms):
        return {
            "lat": 45.0,
            "lon": 7.5,
            "alt_m": None,
            "covariance_enu_m2": [[1.0, 0.0], [0.0, 1.0]],
            "ellipses": [],
            "method": "neural:test",
            "used": ms.counts(),
            "outliers": [],
            "gdop": float("inf"),
            "elapsed_ms": 1.0,
        }

    service = LocalizationService(session_factory, events, DefaultMethodResolver(neural=predictor))
    result = service.localize(g7_tdoa(method="neural"))
    assert result["method"] == "neural:test" and result["gdop"] is None  # non-finite numbers become null
    assert service.get(result["id"])["method"] == "neural:test"
    assert service.localize(g7_tdoa(method="auto"))["method"].startswith("classical")


def test_network_link_is_checked_and_filters_lists(localizations, networks, g7_tdoa) -> None:
    network = networks.create({"name": "g7"})
    with pytest.raises(InvalidInput) as caught:
        localizations.localize(g7_tdoa(), network_id=str(uuid.uuid4()))
    assert caught.value.field == "network_id"
    linked = localizations.localize(g7_tdoa(), network_id=network["id"])
    localizations.localize(g7_tdoa(45.0, 7.6))
    assert linked["network_id"] == network["id"]
    page = localizations.list(network_id=network["id"])
    assert page["total"] == 1 and page["items"][0]["id"] == linked["id"]
    networks.delete(network["id"])
    assert localizations.get(linked["id"])["network_id"] is None


def test_list_is_newest_first_and_paged(localizations, g7_tdoa) -> None:
    ids = [localizations.localize(g7_tdoa(45.0 + k / 50, 7.5))["id"] for k in range(3)]
    page = localizations.list(offset=0, limit=2)
    assert page["total"] == 3 and [item["id"] for item in page["items"]] == ids[::-1][:2]
    assert all("request" not in item and "posterior" not in item for item in page["items"])
    with pytest.raises(InvalidInput):
        localizations.list(limit=5000)


def test_exports_and_unknown_ids(localizations, g7_tdoa) -> None:
    result = localizations.localize(g7_tdoa())
    geojson = localizations.export(result["id"], "geojson")
    assert geojson.media_type == "application/geo+json" and geojson.content["type"] == "FeatureCollection"
    kml = localizations.export(result["id"], "kml")
    assert kml.media_type.endswith("kml+xml") and "<Placemark>" in kml.content
    with pytest.raises(InvalidInput) as caught:
        localizations.export(result["id"], "shapefile")
    assert caught.value.field == "format"
    with pytest.raises(NotFound):
        localizations.get(str(uuid.uuid4()))
    with pytest.raises(NotFound):
        localizations.export("not-a-uuid", "kml")
