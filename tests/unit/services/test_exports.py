from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from heimdall.geo import geodetic_to_enu
from heimdall.services.exports import ellipse_ring, localization_geojson, localization_kml

KML = "{http://www.opengis.net/kml/2.2}"

LOCALIZATION = {
    "id": "4b0c7f0e-0000-4000-8000-000000000000",
    "lat": 45.1,
    "lon": 7.6,
    "alt_m": None,
    "ellipses": [
        {"confidence": 0.68, "semi_major_m": 1500.0, "semi_minor_m": 500.0, "orientation_deg": 30.0},
        {"confidence": 0.95, "semi_major_m": 3700.0, "semi_minor_m": 1220.0, "orientation_deg": 30.0},
    ],
    "method": "classical:tdoa",
    "gdop": 1.3,
    "created_at": "2026-11-27T07:00:00.000Z",
    "request": {
        "receivers": [
            {"id": "rx0", "lat": 45.0, "lon": 7.5, "alt_m": 300.0},
            {"id": "rx<&>", "lat": 45.4, "lon": 7.5},
        ]
    },
}


def _shoelace(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def test_ring_is_closed_counter_clockwise_and_has_the_right_axes() -> None:
    ring = np.array(ellipse_ring(45.0, 7.5, 2000.0, 1000.0, 30.0))
    assert ring.shape == (73, 2) and np.array_equal(ring[0], ring[-1])
    enu = geodetic_to_enu(ring[:, 1], ring[:, 0], 0.0, 45.0, 7.5, 0.0)
    assert _shoelace(enu) > 0  # counter-clockwise, as RFC 7946 asks of exterior rings
    radius = np.hypot(enu[:, 0], enu[:, 1])
    np.testing.assert_allclose([radius.max(), radius.min()], [2000.0, 1000.0], rtol=2e-3)
    tip = enu[0]  # the first vertex lies on the major axis, 30 degrees clockwise from north
    np.testing.assert_allclose(np.degrees(np.arctan2(tip[0], tip[1])), 30.0, atol=0.01)
    np.testing.assert_allclose(np.pi * 2000.0 * 1000.0, _shoelace(enu), rtol=5e-3)


def test_geojson_holds_estimate_ellipses_and_receivers() -> None:
    collection = localization_geojson(LOCALIZATION)
    assert collection["type"] == "FeatureCollection"
    roles = [feature["properties"]["role"] for feature in collection["features"]]
    assert roles == ["estimate", "ellipse", "ellipse", "receiver", "receiver"]
    estimate, inner, outer = collection["features"][:3]
    assert estimate["geometry"] == {"type": "Point", "coordinates": [7.6, 45.1]}
    assert [inner["properties"]["confidence"], outer["properties"]["confidence"]] == [0.68, 0.95]
    for polygon in (inner, outer):
        ring = polygon["geometry"]["coordinates"][0]
        assert polygon["geometry"]["type"] == "Polygon" and len(ring) >= 4 and ring[0] == ring[-1]
    assert collection["features"][3]["geometry"]["coordinates"] == [7.5, 45.0, 300.0]


def test_geojson_skips_ellipses_without_finite_axes() -> None:
    broken = {
        **LOCALIZATION,
        "ellipses": [{"confidence": 0.68, "semi_major_m": None, "semi_minor_m": 1.0, "orientation_deg": 0.0}],
    }
    roles = [feature["properties"]["role"] for feature in localization_geojson(broken)["features"]]
    assert "ellipse" not in roles


def test_kml_is_well_formed_with_one_placemark_per_feature() -> None:
    text = localization_kml(LOCALIZATION)
    assert text.startswith("<?xml")
    root = ET.fromstring(text)
    assert root.tag == f"{KML}kml"
    placemarks = root.findall(f"{KML}Document/{KML}Placemark")
    names = [placemark.findtext(f"{KML}name") for placemark in placemarks]
    assert names == ["estimate", "68 % ellipse", "95 % ellipse", "rx0", "rx<&>"]
    ring = (
        placemarks[1].findtext(f"{KML}Polygon/{KML}outerBoundaryIs/{KML}LinearRing/{KML}coordinates").split()
    )
    assert ring[0] == ring[-1] and len(ring) == 73
    assert placemarks[0].findtext(f"{KML}Point/{KML}coordinates") == "7.6,45.1,0"


@pytest.mark.parametrize("orientation_deg", [0.0, 90.0, 179.9])
def test_rings_stay_closed_for_any_orientation(orientation_deg) -> None:
    ring = ellipse_ring(-33.0, 151.0, 80_000.0, 10.0, orientation_deg)
    assert ring[0] == ring[-1] and all(-90 <= lat <= 90 and -180 <= lon <= 180 for lon, lat in ring)
