"""Reference transmitters: validation, CRUD with events, the frequency filter and the starter list."""

from __future__ import annotations

import json

import pytest

from heimdall.errors import Conflict, InvalidInput, NotFound
from heimdall.services.references import STARTER_LIST_PATH, load_starter_list, seed_starter_references


def beacon(name: str = "club beacon", **overrides: object) -> dict[str, object]:
    return {"name": name, "kind": "beacon", "lat": 48.1, "lon": 11.5, "frequencies_hz": [144_460_000.0],
            **overrides}


@pytest.fixture
def references(platform, events):
    return platform.references


def test_create_fills_defaults_sorts_frequencies_and_publishes(references, events) -> None:
    created = references.create(beacon(frequencies_hz=[10_000_000.0, 5_000_000.0], eirp_dbm=40.0))
    assert created["frequencies_hz"] == [5_000_000.0, 10_000_000.0]
    assert created["alt_m"] == 0.0 and created["builtin"] is False and created["enabled"] is True
    assert created["eirp_dbm"] == 40.0 and created["eirp_sigma_db"] is None
    assert events.events[-1] == ("references", "reference.created", created)
    assert references.get(created["id"]) == created


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": "x", "lat": 1.0, "lon": 2.0}, "frequencies_hz"),
    (beacon(lat=91.0), "lat"),
    (beacon(lon=float("nan")), "lon"),
    (beacon(lat=True), "lat"),
    (beacon(frequencies_hz=[]), "frequencies_hz"),
    (beacon(frequencies_hz=[1e6, 1e6]), "frequencies_hz"),
    (beacon(frequencies_hz=[-5.0]), "frequencies_hz"),
    (beacon(frequencies_hz=[float(i + 1) for i in range(33)]), "frequencies_hz"),
    (beacon(kind="satellite"), "kind"),
    (beacon(eirp_dbm="loud"), "eirp_dbm"),
    (beacon(position_sigma_m=-1.0), "position_sigma_m"),
    (beacon(builtin=True), "builtin"),
    (beacon(name="  "), "name"),
])
def test_bad_fields_are_refused_with_the_field_named(references, events, fields, field) -> None:
    with pytest.raises(InvalidInput) as caught:
        references.create(fields)
    assert caught.value.field == field
    assert events.events == [] and references.list()["total"] == 0


def test_update_is_partial_and_names_stay_unique(references, events) -> None:
    first = references.create(beacon("a"))
    references.create(beacon("b"))
    updated = references.update(first["id"], {"lat": 48.2, "notes": "moved to the new mast"})
    assert (updated["lat"], updated["lon"], updated["notes"]) == (48.2, 11.5, "moved to the new mast")
    assert events.events[-1] == ("references", "reference.updated", updated)
    with pytest.raises(Conflict):
        references.update(first["id"], {"name": "b"})
    with pytest.raises(Conflict):
        references.create(beacon("a"))
    with pytest.raises(InvalidInput):
        references.update(first["id"], {"lat": "north"})
    assert references.get(first["id"])["lat"] == 48.2


def test_delete_and_missing_ids(references, events) -> None:
    created = references.create(beacon())
    references.delete(created["id"])
    assert events.events[-1][:2] == ("references", "reference.deleted")
    for call in (references.get, references.delete):
        with pytest.raises(NotFound):
            call(created["id"])


def test_frequency_filter_matches_any_listed_frequency_within_the_tolerance(references) -> None:
    references.create(beacon("wwv-like", frequencies_hz=[5e6, 10e6, 15e6]))
    references.create(beacon("lf", frequencies_hz=[77_500.0]))
    assert [r["name"] for r in references.list(frequency_hz=10_000_400.0)["items"]] == ["wwv-like"]
    assert references.list(frequency_hz=10_002_000.0)["total"] == 0
    assert references.list(frequency_hz=10_002_000.0, tolerance_hz=5000.0)["total"] == 1
    assert [r["name"] for r in references.list(frequency_hz=77_500.0)["items"]] == ["lf"]


def test_the_starter_list_is_valid_and_seeds_once(platform, events) -> None:
    starter = load_starter_list()
    names = [entry["name"] for entry in starter]
    assert "DCF77" in names and len(names) == len(set(names)) >= 10
    dcf77 = next(entry for entry in starter if entry["name"] == "DCF77")
    assert dcf77["frequencies_hz"] == [77_500.0] and abs(dcf77["lat"] - 50.0156) < 1e-3
    added = seed_starter_references(platform.session_factory, platform.publish)
    assert sorted(r["name"] for r in added) == sorted(names) and all(r["builtin"] for r in added)
    assert seed_starter_references(platform.session_factory, platform.publish) == []
    # a user's own reference under a starter name is kept, not overwritten or duplicated
    platform.references.delete(next(r["id"] for r in added if r["name"] == "MSF"))
    platform.references.create(beacon("MSF"))
    assert seed_starter_references(platform.session_factory, platform.publish) == []
    assert platform.references.list(limit=100)["total"] == len(names)


def test_a_broken_starter_list_fails_loudly(tmp_path, platform) -> None:
    broken = tmp_path / "starter.json"
    document = json.loads(STARTER_LIST_PATH.read_text())
    document["references"][0]["lat"] = 123.0
    broken.write_text(json.dumps(document))
    with pytest.raises(InvalidInput, match="lat"):
        seed_starter_references(platform.session_factory, platform.publish, broken)
    assert platform.references.list()["total"] == 0
