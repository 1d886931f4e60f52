"""Calibrations as a resource: fitted from reference captures with injected offsets, stored with their
evidence, applied to later localizations (and not when rejected, stale or not covering), refused whole."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.bench.scenarios import SCENARIOS, draw_truth, g7_receivers
from heimdall.calibrate.scenarios import draw_offsets, inject
from heimdall.errors import Conflict, InvalidInput, NotFound
from heimdall.geo import geodetic_to_enu


@pytest.fixture
def scene():
    rng = np.random.default_rng(11)
    receivers = g7_receivers()
    offsets = draw_offsets(rng, [r["id"] for r in receivers])

    def capture(lat: float | None = None, lon: float | None = None) -> tuple[dict, float, float]:
        if lat is None or lon is None:
            lat, lon = draw_truth(rng)
        return inject(SCENARIOS["tdoa-pairs"].generate(receivers, lat, lon, rng), offsets), lat, lon

    return capture, offsets


def _references(capture, count: int = 5) -> list[dict]:
    out = []
    for _ in range(count):
        doc, lat, lon = capture()
        out.append({"measurement_set": doc, "lat": lat, "lon": lon})
    return out


def test_a_calibration_recovers_the_injected_timing_offsets_and_is_stored(platform, events, scene) -> None:
    capture, offsets = scene
    created = platform.calibrations.create({"references": _references(capture), "note": "five known sources"})
    assert created["state"] == "active" and created["quantities"] == ["timing_offset_s"]
    assert len(created["evidence"]) == 5 and all(e["measurements"] > 0 for e in created["evidence"])
    timing = created["calibration"]["timing_offset_s"]
    fitted = {o["receiver"]: (o["offset"], o["sigma"]) for o in timing["offsets"]}
    truth = np.array([offsets.timing_s[rid] for rid in fitted])
    truth -= truth.mean()  # zero-mean gauge: a common offset is unobservable
    for (offset, sigma), true in zip(fitted.values(), truth, strict=True):
        assert abs(offset - true) < 4.0 * sigma
    assert events.events[-1] == ("calibrations", "calibration.created", created)
    assert platform.calibrations.get(created["id"]) == created
    assert platform.calibrations.list(receiver_id=created["receiver_ids"][0])["total"] == 1
    assert platform.calibrations.list(receiver_id="nobody")["total"] == 0


def test_localizations_are_corrected_until_the_calibration_is_rejected(platform, scene) -> None:
    capture, _ = scene
    doc, lat, lon = capture()
    before = platform.localizations.localize(doc)
    assert before["calibration"] == {"applied": False, "id": None, "reason": "no calibration holds these receivers"}
    calibration = platform.calibrations.create({"references": _references(capture)})
    after = platform.localizations.localize(doc)
    assert after["calibration"]["applied"] is True and after["calibration"]["id"] == calibration["id"]

    def error_m(result: dict) -> float:
        east, north, _ = geodetic_to_enu(result["lat"], result["lon"], 0.0, lat, lon, 0.0)
        return float(np.hypot(east, north))

    assert error_m(after) < error_m(before)
    rejected = platform.calibrations.reject(calibration["id"], "the GNSS antenna was moved that day")
    assert rejected["state"] == "rejected" and rejected["rejected_reason"] == "the GNSS antenna was moved that day"
    again = platform.localizations.localize(doc)
    assert again["calibration"]["applied"] is False and "rejected" not in again["calibration"]["reason"]
    with pytest.raises(Conflict):
        platform.calibrations.reject(calibration["id"], "twice")


def test_a_stale_calibration_is_shown_as_stale_and_not_applied(make_platform, scene) -> None:
    platform = make_platform(calibration_max_age_days=1e-9)
    capture, _ = scene
    calibration = platform.calibrations.create({"references": _references(capture)})
    assert platform.calibrations.get(calibration["id"])["state"] == "stale"
    doc, _, _ = capture()
    result = platform.localizations.localize(doc)
    assert result["calibration"]["applied"] is False and "stale" in result["calibration"]["reason"]


def test_a_reference_id_supplies_the_position(platform, scene) -> None:
    capture, _ = scene
    references = _references(capture, 4)
    doc, lat, lon = capture()
    known = platform.references.create({"name": "club beacon", "lat": lat, "lon": lon, "frequencies_hz": [1e6]})
    references.append({"reference_id": known["id"], "measurement_set": doc})
    created = platform.calibrations.create({"references": references})
    assert created["evidence"][-1]["reference_name"] == "club beacon" and created["evidence"][-1]["lat"] == lat


@pytest.mark.parametrize(("body", "field"), [
    ({}, "references"),
    ({"references": []}, "references"),
    ({"references": "x"}, "references"),
    ({"references": [{"reference_id": "00000000-0000-4000-8000-000000000000", "measurement_set": {}}]},
     "references[0].reference_id"),
    ({"references": [{"measurement_set": {"receivers": []}, "lat": 45.0, "lon": 7.0}], "quantities": ["speed"]},
     "quantities"),
    ({"references": [{"lat": 45.0, "lon": 7.0}]}, "references[0].measurement_set"),
    ({"references": [{"measurement_set": {}}], "colour": "red"}, "colour"),
])
def test_bad_requests_are_refused_and_nothing_is_stored(platform, events, body, field) -> None:
    with pytest.raises(InvalidInput) as caught:
        platform.calibrations.create(body)
    assert caught.value.field == field
    assert platform.calibrations.list()["total"] == 0 and events.events == []


def test_too_few_references_for_the_data_are_refused(platform, scene) -> None:
    capture, _ = scene
    with pytest.raises(InvalidInput):  # InsufficientData is an InvalidInput: one reference fixes no offset
        platform.calibrations.create({"references": _references(capture, 1)})
    assert platform.calibrations.list()["total"] == 0


def test_delete_and_missing(platform, scene) -> None:
    capture, _ = scene
    created = platform.calibrations.create({"references": _references(capture)})
    platform.calibrations.delete(created["id"])
    with pytest.raises(NotFound):
        platform.calibrations.get(created["id"])
