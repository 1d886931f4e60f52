"""Bad input: a one-line reason naming the field, and no calibration."""

from __future__ import annotations

import copy

import pytest

from heimdall.bench.scenarios import g7_receivers, tdoa_entries
from heimdall.calibrate import BEARING, GAIN, Reference, calibrate, calibration_from_dict, parse_references
from heimdall.errors import InsufficientData, InvalidInput
from heimdall.locate import measurement_set_to_dict, parse_measurement_set

from .conftest import G7_IDS, SITES, Draws, offsets_for, references


def _refuse(refs, error=InvalidInput, **kwargs) -> InvalidInput:
    with pytest.raises(error) as info:
        calibrate(refs, **kwargs)
    assert info.value.http_status == 422 and "\n" not in info.value.message
    return info.value


def test_a_reference_that_was_not_heard():
    refs = references("aoa-3deg", offsets_for(G7_IDS))
    silent = Reference(parse_measurement_set({"receivers": g7_receivers()}, check_unknowns=False), *SITES[0])
    error = _refuse([*refs, silent])
    assert error.field == "references[5]" and error.details["reason"] == "not_heard" and "not heard" in error.message


@pytest.mark.parametrize(("lat", "lon", "reason"), [
    (7.41, 45.12, "out_of_reach"),   # lat/lon swapped
    (45.12, 9.5, "out_of_reach"),    # 160 km east of a 50 km network
    (95.0, 7.4, "bad_position"),
])
def test_a_reference_outside_the_network_or_not_a_position(lat, lon, reason):
    refs = references("aoa-3deg", offsets_for(G7_IDS))
    moved = Reference(refs[2].ms, lat, lon)
    error = _refuse([refs[0], refs[1], moved])
    assert error.field == "references[2].lat" and error.details["reason"] == reason


def test_a_reference_uses_its_search_area_as_the_reach():
    refs = references("aoa-3deg", offsets_for(G7_IDS))
    doc = measurement_set_to_dict(refs[0].ms)
    doc["search_area"] = {"lat_min": 45.0, "lat_max": 45.5, "lon_min": 7.0, "lon_max": 8.0}
    outside = Reference(parse_measurement_set(doc, check_unknowns=False), 44.9, 7.5)  # inside the default box
    assert _refuse([outside, *refs[1:]]).details["reason"] == "out_of_reach"


def test_a_receiver_two_references_put_in_different_places():
    refs = references("aoa-3deg", offsets_for(G7_IDS))
    doc = measurement_set_to_dict(refs[3].ms)
    doc["receivers"][2]["lat"] += 0.01
    refs[3] = Reference(parse_measurement_set(doc, check_unknowns=False), *SITES[3])
    error = _refuse(refs)
    assert error.details["reason"] == "moved_receiver" and "'rx2'" in error.message


def test_one_reference_cannot_check_an_offset():
    refs = references("aoa-3deg", offsets_for(G7_IDS))
    error = _refuse(refs[:1], InsufficientData)
    assert "fewer than 2 references" in error.message and error.details["receivers"] == G7_IDS


def test_a_receiver_heard_in_only_one_reference_is_named():
    refs = references("aoa-3deg", offsets_for(G7_IDS))
    for k in range(1, 5):
        doc = measurement_set_to_dict(refs[k].ms)
        doc["aoa"] = [e for e in doc["aoa"] if e["receiver"] != "rx6"]
        refs[k] = Reference(parse_measurement_set(doc, check_unknowns=False), *SITES[k])
    error = _refuse(refs, InsufficientData)
    assert error.details["receivers"] == ["rx6"]
    assert calibrate(refs, receivers=G7_IDS[:6]).get(BEARING).receivers == tuple(G7_IDS[:6])  # leaving it out works


def _tdoa_reference(pairs: list[tuple[str, str]], site: tuple[float, float]) -> Reference:
    rx = g7_receivers()
    entries = []
    for receiver, reference in pairs:
        entries += tdoa_entries(rx, reference, [receiver], *site, Draws(noiseless=False))
    doc = {"receivers": rx, "tdoa": entries}
    return Reference(parse_measurement_set(doc, check_unknowns=False), *site)


def test_receivers_no_reference_ties_together_cannot_be_separated():
    west = [("rx1", "rx0"), ("rx2", "rx0"), ("rx2", "rx1")]
    east = [("rx4", "rx3"), ("rx5", "rx3"), ("rx5", "rx4")]
    refs = [_tdoa_reference(west, SITES[k]) for k in range(3)] + [_tdoa_reference(east, SITES[k]) for k in range(3)]
    error = _refuse(refs)
    assert error.details["reason"] == "not_separable"
    assert error.message.endswith("no reference ties these groups of receivers together, so their offsets "
                                  "cannot be separated: [rx0, rx1, rx2]; [rx3, rx4, rx5]")


def test_absolute_and_relative_gains_that_never_meet_are_refused():
    offsets = offsets_for(G7_IDS)
    known = references("rss-8db", offsets, sites=SITES[:3], draws=Draws(eirp_dbm=40.0), known_eirp=True)
    unknown = references("rss-8db", offsets, sites=SITES[2:])
    keep = {"rx0", "rx1", "rx2"}
    refs = [_only(r, keep, SITES[k]) for k, r in enumerate(known)]
    refs += [_only(r, set(G7_IDS) - keep, SITES[2 + k]) for k, r in enumerate(unknown)]
    error = _refuse(refs)
    assert error.details == {"reason": "not_separable", "quantity": GAIN}
    assert error.message.endswith(": [rx0, rx1, rx2] (absolute); [rx3, rx4, rx5, rx6]")


def _only(ref: Reference, keep: set[str], site) -> Reference:
    doc = measurement_set_to_dict(ref.ms)
    doc["rss"] = [e for e in doc["rss"] if e["receiver"] in keep]
    return Reference(parse_measurement_set(doc, check_unknowns=False), *site, eirp_dbm=ref.eirp_dbm)


def test_an_exponent_fitted_per_reference_absorbs_offsets_seen_from_one_place():
    offsets = offsets_for(G7_IDS)
    refs = []
    for ref in references("rss-8db", offsets, sites=[SITES[0]] * 3, draws=Draws(noiseless=False)):
        doc = measurement_set_to_dict(ref.ms)
        doc["propagation"]["path_loss_exponent"] = None
        refs.append(Reference(parse_measurement_set(doc, check_unknowns=False), *SITES[0]))
    error = _refuse(refs)
    assert error.details["reason"] == "not_separable" and "path-loss exponent" in error.message


def test_a_relative_offset_of_a_single_receiver_means_nothing():
    refs = []
    for k, ref in enumerate(references("toa-voice-20db", offsets_for(G7_IDS), draws=Draws(noiseless=False))):
        doc = measurement_set_to_dict(ref.ms)
        doc["toa"] = doc["toa"][:1]
        refs.append(Reference(parse_measurement_set(doc, check_unknowns=False), *SITES[k]))
    error = _refuse(refs, InsufficientData)
    assert "at least two receivers" in error.message and error.details["receivers"] == ["rx0"]


def test_references_without_redundancy_are_refused():
    offsets = offsets_for(G7_IDS)
    refs = []
    for k, ref in enumerate(references("rss-8db", offsets, sites=SITES[:2])):
        doc = measurement_set_to_dict(ref.ms)
        doc["rss"] = doc["rss"][:3]
        doc["propagation"]["path_loss_exponent"] = None
        refs.append(Reference(parse_measurement_set(doc, check_unknowns=False), *SITES[k]))
    error = _refuse(refs, InsufficientData)
    assert "nothing to check the fit against" in error.message


def test_options_that_name_nothing_real():
    refs = references("rss-8db", offsets_for(G7_IDS))
    assert _refuse(refs, receivers=["rx0", "rx9"]).details == {"receivers": ["rx9"], "reason": "not_heard"}
    assert _refuse(refs, quantities=[BEARING]).field == "quantities"
    assert _refuse(refs, quantities=["phase_offset_rad"]).field == "quantities"
    assert _refuse(refs, gauge="rx9").field == "gauge"
    assert _refuse([]).field == "references"


def test_a_known_eirp_needs_the_frequency():
    refs = references("rss-8db", offsets_for(G7_IDS), draws=Draws(eirp_dbm=40.0), known_eirp=True)
    doc = measurement_set_to_dict(refs[1].ms)
    del doc["frequency_hz"]
    refs[1] = Reference(parse_measurement_set(doc, check_unknowns=False), *SITES[1], eirp_dbm=40.0)
    assert _refuse(refs).field == "references[1].measurement_set.frequency_hz"


def test_parse_references_names_the_field():
    refs = references("aoa-3deg", offsets_for(G7_IDS))
    good = [{"measurement_set": measurement_set_to_dict(r.ms), "lat": s[0], "lon": s[1]}
            for r, s in zip(refs, SITES, strict=True)]
    assert len(parse_references(good)) == 5
    cases = [
        ({}, "references"),
        ([{**good[0], "colour": 1}], "references[0].colour"),
        ([good[0], {"lat": 45.0, "lon": 7.0}], "references[1].measurement_set"),
        ([{**good[0], "lat": "north"}], "references[0].lat"),
    ]
    broken = copy.deepcopy(good[0])
    broken["measurement_set"]["aoa"][2]["sigma_deg"] = -1.0
    cases.append(([broken], "references[0].measurement_set.aoa[2].sigma_deg"))
    for docs, field in cases:
        with pytest.raises(InvalidInput) as info:
            parse_references(docs)
        assert info.value.field == field


def test_a_stored_calibration_that_is_not_one():
    doc = calibrate(references("fused", offsets_for(G7_IDS), draws=Draws(noiseless=False))).to_dict()
    cases = []
    cases.append(({**doc, "schema_version": 9}, "schema_version"))
    bad = copy.deepcopy(doc)
    bad[GAIN]["covariance"][0][0] = -1.0
    cases.append((bad, GAIN + ".covariance"))
    bad = copy.deepcopy(doc)
    bad[GAIN]["gauge"] = "rx42"
    cases.append((bad, GAIN + ".gauge"))
    bad = copy.deepcopy(doc)
    del bad[BEARING]["offsets"][0]["sigma"], bad[BEARING]["offsets"][0]["offset"]
    cases.append((bad, BEARING))
    cases.append(([], "calibration"))
    for stored, field in cases:
        with pytest.raises(InvalidInput) as info:
            calibration_from_dict(stored)
        assert info.value.field == field
