"""Uncertainty ellipses drawn on the map: a ring of lon/lat vertices around a point."""

from __future__ import annotations

import math

import numpy as np

from heimdall.geo.wgs84 import enu_to_geodetic


def ellipse_ring(lat_deg: float, lon_deg: float, semi_major_m: float, semi_minor_m: float, orientation_deg: float,
                 vertices: int = 72) -> list[list[float]]:
    """A closed, counter-clockwise ring of ``[lon, lat]`` (first vertex repeated last), as GeoJSON wants.

    Drawn on the east/north plane at the centre and mapped back to WGS84, exact enough for the
    kilometre-scale ellipses of a fix; a ring across the antimeridian is not split.
    """
    angle = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    theta = math.radians(orientation_deg)
    # Major axis clockwise from north; the minor axis 90 degrees counter-clockwise of it: a CCW ring.
    major = np.array([math.sin(theta), math.cos(theta)])
    minor = np.array([-math.cos(theta), math.sin(theta)])
    east_north = np.outer(semi_major_m * np.cos(angle), major) + np.outer(semi_minor_m * np.sin(angle), minor)
    lat, lon, _ = enu_to_geodetic(np.column_stack([east_north, np.zeros(vertices)]), lat_deg, lon_deg, 0.0)
    ring = [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]
    return ring + [ring[0]]
