"""Terrain elevation: providers (procedural, SRTM ``.hgt``, GeoTIFF) and path profiles for ITM.

No elevation tiles can be downloaded at run time: users supply ``.hgt``/GeoTIFF files, and tests
use the seeded procedural terrain.
"""

from heimdall.terrain.geotiff import GeoTiffTerrain
from heimdall.terrain.hgt import HgtTerrain, read_hgt
from heimdall.terrain.procedural import ProceduralTerrain
from heimdall.terrain.profile import PathProfile, path_profile
from heimdall.terrain.provider import ElevationProvider, FlatTerrain

__all__ = [
    "ElevationProvider",
    "FlatTerrain",
    "GeoTiffTerrain",
    "HgtTerrain",
    "PathProfile",
    "ProceduralTerrain",
    "path_profile",
    "read_hgt",
]
