"""Known-source captures ("references"): what the network measured from a transmitter whose position
(and perhaps EIRP) is known, checked before any offset is fitted.

A reference is refused, with the reason, when it cannot tell anything true about the receivers:
nothing was heard, its position is not a position, it lies outside the area the network locates in
(the usual sign of swapped or mistyped coordinates), or it disagrees with another reference on where
a receiver is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.geo import geodetic_to_ecef
from heimdall.locate.grid import default_search_area
from heimdall.locate.measurement_set import (
    MeasurementSet,
    SearchArea,
    measurement_count,
    parse_measurement_set,
)

# Two references naming one receiver id at places further apart than this describe two receivers.
SAME_RECEIVER_M = 10.0
REFERENCE_FIELDS = frozenset({"measurement_set", "lat", "lon", "alt_m", "eirp_dbm"})


@dataclass(frozen=True, eq=False)
class Reference:
    """One capture of a known transmitter.

    ``alt_m`` defaults to the set's ``transmitter_alt_m`` (0 m); ``eirp_dbm`` to the set's
    ``eirp_dbm``. A known EIRP makes that reference's powers absolute (section "Gain" of
    docs/calibration.md); unknown, it is a nuisance fitted per reference.
    """

    ms: MeasurementSet
    lat_deg: float
    lon_deg: float
    alt_m: float | None = None
    eirp_dbm: float | None = None

    @property
    def tx_alt_m(self) -> float:
        return self.ms.tx_alt_m if self.alt_m is None else float(self.alt_m)

    @property
    def known_eirp_dbm(self) -> float | None:
        return self.ms.eirp_dbm if self.eirp_dbm is None else float(self.eirp_dbm)

    def tx_ecef_m(self) -> NDArray[np.float64]:
        return geodetic_to_ecef(self.lat_deg, self.lon_deg, self.tx_alt_m)


@dataclass(frozen=True)
class ReceiverSite:
    id: str
    lat_deg: float
    lon_deg: float
    alt_m: float


def parse_references(docs: Any) -> list[Reference]:
    """References from JSON: ``[{"measurement_set": {...}, "lat", "lon", "alt_m"?, "eirp_dbm"?}, ...]``.

    Errors name the field, e.g. ``references[2].measurement_set.rss[0].sigma_db``.
    """
    if not isinstance(docs, list) or not docs:
        raise InvalidInput("references must be a non-empty list", field="references")
    return [_parse_reference(doc, k) for k, doc in enumerate(docs)]


def _parse_reference(doc: Any, k: int) -> Reference:
    path = f"references[{k}]"
    if not isinstance(doc, Mapping):
        raise InvalidInput(f"{path} must be an object", field=path)
    unknown = sorted(set(doc) - REFERENCE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field '{path}.{unknown[0]}'", field=f"{path}.{unknown[0]}")
    if not isinstance(doc.get("measurement_set"), dict):
        raise InvalidInput(f"{path}.measurement_set is required", field=f"{path}.measurement_set")
    try:
        ms = parse_measurement_set(doc["measurement_set"], check_unknowns=False)
    except InvalidInput as exc:
        inner = f"{path}.measurement_set" + (f".{exc.field}" if exc.field else "")
        raise InvalidInput(f"{inner}: {exc.message}", field=inner, details=exc.details) from exc
    return Reference(ms=ms, lat_deg=_number(doc, "lat", path), lon_deg=_number(doc, "lon", path),
                     alt_m=_optional(doc, "alt_m", path), eirp_dbm=_optional(doc, "eirp_dbm", path))


def _number(doc: Mapping[str, Any], key: str, path: str) -> float:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{path}.{key} must be a finite number", field=f"{path}.{key}")
    return float(value)


def _optional(doc: Mapping[str, Any], key: str, path: str) -> float | None:
    return None if doc.get(key) is None else _number(doc, key, path)


def check_references(references: Sequence[Reference]) -> dict[str, ReceiverSite]:
    """Refuse unusable references (InvalidInput naming ``references[k]``); the receivers they name."""
    if not references:
        raise InvalidInput("a calibration needs at least one reference capture", field="references")
    sites: dict[str, tuple[ReceiverSite, int]] = {}
    for k, ref in enumerate(references):
        _check_position(ref, k)
        if measurement_count(ref.ms) == 0:
            raise InvalidInput(f"reference {k} was not heard: its measurement set holds no measurement",
                               field=f"references[{k}]", details={"reason": "not_heard"})
        _check_reach(ref, k)
        for site in _used_sites(ref.ms):
            _check_same_site(sites, site, k)
    return {rid: site for rid, (site, _) in sites.items()}


def _check_position(ref: Reference, k: int) -> None:
    lat, lon = ref.lat_deg, ref.lon_deg
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0 and math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise InvalidInput(f"reference {k}: ({lat}, {lon}) is not a latitude/longitude",
                           field=f"references[{k}].lat", details={"reason": "bad_position"})
    if not math.isfinite(ref.tx_alt_m):
        raise InvalidInput(f"reference {k}: alt_m must be finite", field=f"references[{k}].alt_m")


def _check_reach(ref: Reference, k: int) -> None:
    """The reference must lie where the network locates: its set's search area, or else the area the
    estimator would search by default (the receivers' bounding box, padded)."""
    area = ref.ms.search_area or default_search_area(ref.ms)
    if not _inside(area, ref.lat_deg, ref.lon_deg):
        box = f"lat {area.lat_min:.3f}..{area.lat_max:.3f}, lon {area.lon_min:.3f}..{area.lon_max:.3f}"
        raise InvalidInput(
            f"reference {k} at ({ref.lat_deg:.4f}, {ref.lon_deg:.4f}) is outside the network's reach ({box}); "
            "check its coordinates (lat/lon swapped?)",
            field=f"references[{k}].lat", details={"reason": "out_of_reach"})


def _inside(area: SearchArea, lat: float, lon: float) -> bool:
    return area.lat_min <= lat <= area.lat_max and area.lon_min <= lon <= area.lon_max


def _used_sites(ms: MeasurementSet) -> list[ReceiverSite]:
    rx = ms.receivers
    return [ReceiverSite(rx.ids[i], float(rx.lat_deg[i]), float(rx.lon_deg[i]), float(rx.alt_m[i]))
            for i in ms.used_receivers()]


def _check_same_site(sites: dict[str, tuple[ReceiverSite, int]], site: ReceiverSite, k: int) -> None:
    if site.id not in sites:
        sites[site.id] = (site, k)
        return
    first, first_k = sites[site.id]
    if first == site:  # the usual case: every capture lists the registered position
        return
    gap = float(np.linalg.norm(geodetic_to_ecef(site.lat_deg, site.lon_deg, site.alt_m)
                               - geodetic_to_ecef(first.lat_deg, first.lon_deg, first.alt_m)))
    if gap > SAME_RECEIVER_M:
        raise InvalidInput(f"receiver {site.id!r} is {gap:.0f} m away from where reference {first_k} put it",
                           field=f"references[{k}].measurement_set.receivers", details={"reason": "moved_receiver"})
