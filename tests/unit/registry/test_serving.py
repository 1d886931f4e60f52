"""The method resolver: neural through the deployed model that fits, auto by the documented rule,
and deployments followed from the database on every request (no restart, any number of processes)."""

from __future__ import annotations

import math

import pytest

from heimdall.errors import NoModelAvailable
from heimdall.locate.measurement_set import parse_measurement_set
from heimdall.services.models.registry import Provenance
from heimdall.services.models.serving import ModelServing, classical_expected_error_m


def classical_stub(_ms):
    return {"lat": 0.0, "lon": 0.0, "method": "classical:stub"}


@pytest.fixture
def ms(trained):
    return parse_measurement_set(dict(trained.samples[0]["measurement_set"]))


def test_neural_without_a_deployed_model_is_no_model(registry, ms):
    with pytest.raises(NoModelAvailable) as info:
        ModelServing(registry, classical=classical_stub)("neural")(ms)
    assert info.value.code == "no_model" and info.value.http_status == 409
    assert ModelServing(registry, classical=classical_stub)("auto")(ms)["method"] == "classical:stub"


def test_neural_uses_the_deployed_model_and_a_section_4_2_result(registry, trained, ms):
    model = registry.register("m", trained.onnx)
    registry.deploy(model["id"])
    result = ModelServing(registry, classical=classical_stub)("neural")(ms)
    assert result["method"] == "neural:rss" and result["registered_model"]["id"] == model["id"]
    assert {"lat", "lon", "alt_m", "covariance_enu_m2", "ellipses", "used", "outliers", "gdop", "elapsed_ms"} <= set(result)
    assert [e["confidence"] for e in result["ellipses"]] == [0.68, 0.95] and result["used"]["rss"] == 7
    assert abs(result["lat"] - 45.0) < 1.0 and abs(result["lon"] - 7.5) < 1.5


def test_a_set_outside_the_layout_is_refused_by_neural_and_answered_classically_by_auto(registry, trained):
    registry.deploy(registry.register("m", trained.onnx)["id"])
    doc = dict(trained.samples[0]["measurement_set"])
    doc["receivers"] = [{**rx, "lat": rx["lat"] + 0.5} for rx in doc["receivers"]]  # every receiver moved 55 km
    moved = parse_measurement_set(doc)
    serving = ModelServing(registry, classical=classical_stub)
    with pytest.raises(NoModelAvailable, match="fits") as info:
        serving("neural")(moved)
    assert info.value.details["refusals"][0]["reason"]
    assert serving("auto")(moved)["method"] == "classical:stub"


def test_deploying_another_model_swaps_without_a_restart_across_processes(registry, session_factory, blobs, trained,
                                                                           trained_other, ms, network_ids):
    from heimdall.services.models.registry import ModelRegistry

    first = registry.register("a", trained.onnx, provenance=Provenance(network_id=network_ids[0]))
    second = registry.register("b", trained_other.onnx, provenance=Provenance(network_id=network_ids[0]))
    here = ModelServing(registry, classical=classical_stub)
    # Another API process: its own registry object and cache over the same database and blobs.
    there = ModelServing(ModelRegistry(session_factory, blobs, lambda *a: None), classical=classical_stub)
    registry.deploy(first["id"])
    a_here, a_there = here("neural")(ms), there("neural")(ms)
    assert a_here["registered_model"]["id"] == a_there["registered_model"]["id"] == first["id"]
    registry.deploy(second["id"])
    b_here, b_there = here("neural")(ms), there("neural")(ms)
    assert b_here["registered_model"]["id"] == b_there["registered_model"]["id"] == second["id"]
    assert (b_here["lat"], b_here["lon"]) != (a_here["lat"], a_here["lon"])
    assert here.cached_model_ids == [second["id"]]
    registry.delete(second["id"])
    with pytest.raises(NoModelAvailable):
        there("neural")(ms)


def test_auto_picks_neural_only_when_its_validation_error_beats_the_classical_bound(registry, trained, ms):
    model = registry.register("m", trained.onnx)
    registry.deploy(model["id"])
    neural = ModelServing(registry, classical=classical_stub)("neural")(ms)
    bound_m = classical_expected_error_m(ms, neural["lat"], neural["lon"])
    assert math.isfinite(bound_m) and bound_m > 0
    median_m = model["metrics"]["median_error_m"]
    generous = ModelServing(registry, classical=classical_stub, classical_margin=2.0 * median_m / bound_m)("auto")(ms)
    assert generous["method"] == "neural:rss" and generous["method_choice"]["chosen"] == "neural"
    strict = ModelServing(registry, classical=classical_stub, classical_margin=0.5 * median_m / bound_m)("auto")(ms)
    assert strict["method"] == "classical:stub" and strict["method_choice"]["chosen"] == "classical"
    assert strict["method_choice"]["neural_expected_error_m"] == pytest.approx(median_m)
    assert ModelServing(registry, classical=classical_stub)("classical")(ms)["method"] == "classical:stub"
