"""WGS84 geodesy: geodetic <-> ECEF <-> local ENU, straight-line distances, bearings.

All functions are vectorised over numpy arrays; angles in degrees, lengths in metres.
"""

from heimdall.geo.ellipse import ellipse_ring
from heimdall.geo.wgs84 import (
    SPEED_OF_LIGHT_M_S,
    WGS84_A_M,
    WGS84_E2,
    bearing_deg,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_rotation,
    enu_rotations,
    enu_to_ecef,
    enu_to_geodetic,
    geodetic_to_ecef,
    geodetic_to_enu,
    slant_distance_m,
)

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "WGS84_A_M",
    "WGS84_E2",
    "bearing_deg",
    "ecef_to_enu",
    "ecef_to_geodetic",
    "ellipse_ring",
    "enu_rotation",
    "enu_rotations",
    "enu_to_ecef",
    "enu_to_geodetic",
    "geodetic_to_ecef",
    "geodetic_to_enu",
    "slant_distance_m",
]
