"""Reference receiver networks. ``g7()`` is the demo network of an empty install (RF_NOTES section 2)."""

from __future__ import annotations

from typing import Any

from geographiclib.geodesic import Geodesic

G7_CENTER = (45.0, 7.5)
G7_RADIUS_M = 50_000.0
G7_ALT_M = 300.0


def g7() -> list[dict[str, Any]]:
    """One receiver at 45.0 N 7.5 E and six on a 50 km circle (bearings 0, 60, ..., 300), all at 300 m.

    GNSS-timed receivers able to measure RSS, TDoA and AoA, as plain dicts (``ReceiverSpec`` fields).
    """
    positions = [G7_CENTER]
    for bearing in range(0, 360, 60):
        end = Geodesic.WGS84.Direct(G7_CENTER[0], G7_CENTER[1], float(bearing), G7_RADIUS_M)
        positions.append((end["lat2"], end["lon2"]))
    return [
        {
            "id": f"rx{i}",
            "name": f"G7 rx{i}",
            "kind": "simulated",
            "lat": lat,
            "lon": lon,
            "alt_m": G7_ALT_M,
            "capabilities": ["rss", "tdoa", "aoa"],
            "timing": "gnss",
            "noise_figure_db": 6.0,
            "antenna_gain_dbi": 0.0,
        }
        for i, (lat, lon) in enumerate(positions)
    ]
