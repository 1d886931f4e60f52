"""The receiver layout a network is trained for: which receivers, where, and which modalities.

A network only answers for measurement sets whose receivers are in its layout (at the same place,
within a tolerance) and whose modalities it was trained on; everything else is refused upstream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.geo import ecef_to_geodetic, enu_to_geodetic, geodetic_to_ecef, geodetic_to_enu

MODALITIES = ("rss", "toa", "tdoa", "aoa")
_MEAN_EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class ReceiverLayout:
    receiver_ids: tuple[str, ...]
    lat_deg: tuple[float, ...]
    lon_deg: tuple[float, ...]
    alt_m: tuple[float, ...]
    centre_lat_deg: float
    centre_lon_deg: float
    centre_alt_m: float
    modalities: tuple[str, ...]
    position_tolerance_m: float = 100.0

    @property
    def max_receivers(self) -> int:
        return len(self.receiver_ids)

    def slot_of(self) -> dict[str, int]:
        return {rid: i for i, rid in enumerate(self.receiver_ids)}

    def receivers_enu_m(self) -> NDArray[np.float64]:
        """(R, 3) east/north/up of each receiver about the layout centre."""
        return geodetic_to_enu(
            np.asarray(self.lat_deg), np.asarray(self.lon_deg), np.asarray(self.alt_m),
            self.centre_lat_deg, self.centre_lon_deg, self.centre_alt_m,
        )

    def geodetic_to_en_m(self, lat_deg: Any, lon_deg: Any, alt_m: Any) -> NDArray[np.float64]:
        """(N, 2) east/north metres about the centre (the network's output frame)."""
        enu = geodetic_to_enu(lat_deg, lon_deg, alt_m, self.centre_lat_deg, self.centre_lon_deg, self.centre_alt_m)
        return np.asarray(enu)[..., :2]

    def en_to_geodetic(self, en_m: Any, alt_m: Any = 0.0) -> tuple[NDArray, NDArray]:
        """Inverse of ``geodetic_to_en_m`` for a point at altitude ``alt_m``: (lat_deg, lon_deg).

        The up coordinate that puts the point at ``alt_m`` is first guessed from the Earth's curvature,
        then corrected once; that is accurate to well below a millimetre within a few hundred km.
        """
        en = np.asarray(en_m, dtype=float)
        alt = np.broadcast_to(np.asarray(alt_m, dtype=float), en.shape[:-1])
        up = alt - self.centre_alt_m - (en[..., 0] ** 2 + en[..., 1] ** 2) / (2.0 * _MEAN_EARTH_RADIUS_M)
        for _ in range(2):
            lat, lon, got_alt = enu_to_geodetic(
                np.stack([en[..., 0], en[..., 1], up], axis=-1),
                self.centre_lat_deg, self.centre_lon_deg, self.centre_alt_m,
            )
            up = up + (alt - got_alt)
        return lat, lon

    def to_dict(self) -> dict[str, Any]:
        return {
            "receivers": [
                {"id": rid, "lat": la, "lon": lo, "alt_m": al}
                for rid, la, lo, al in zip(self.receiver_ids, self.lat_deg, self.lon_deg, self.alt_m, strict=True)
            ],
            "centre": {"lat": self.centre_lat_deg, "lon": self.centre_lon_deg, "alt_m": self.centre_alt_m},
            "modalities": list(self.modalities),
            "position_tolerance_m": self.position_tolerance_m,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReceiverLayout:
        try:
            receivers = data["receivers"]
            centre = data["centre"]
            return cls(
                receiver_ids=tuple(str(r["id"]) for r in receivers),
                lat_deg=tuple(float(r["lat"]) for r in receivers),
                lon_deg=tuple(float(r["lon"]) for r in receivers),
                alt_m=tuple(float(r.get("alt_m", 0.0)) for r in receivers),
                centre_lat_deg=float(centre["lat"]),
                centre_lon_deg=float(centre["lon"]),
                centre_alt_m=float(centre["alt_m"]),
                modalities=tuple(str(m) for m in data["modalities"]),
                position_tolerance_m=float(data.get("position_tolerance_m", 100.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"bad receiver layout: {exc!r}") from exc


def layout_from_measurement_sets(
    measurement_sets: Iterable[Mapping[str, Any]], *, position_tolerance_m: float = 100.0
) -> ReceiverLayout:
    """The union of receivers and modalities over measurement sets, centred on the receivers' centroid.

    Receivers are ordered by id so the same set of receivers always gives the same layout.
    """
    positions: dict[str, tuple[float, float, float]] = {}
    modalities: set[str] = set()
    for ms in measurement_sets:
        for rx in _receiver_entries(ms):
            try:
                pos = (float(rx["lat"]), float(rx["lon"]), float(rx.get("alt_m") or 0.0))
            except (TypeError, ValueError) as exc:
                raise InvalidInput(f"receiver {rx['id']!r} needs numeric lat/lon/alt_m", field="receivers") from exc
            previous = positions.setdefault(str(rx["id"]), pos)
            if _distance_m(previous, pos) > position_tolerance_m:
                raise InvalidInput(f"receiver {rx['id']!r} moves between samples", field="receivers")
        modalities.update(m for m in MODALITIES if ms.get(m))
    if not positions:
        raise InvalidInput("no receivers in the samples", field="receivers")
    ids = tuple(sorted(positions))
    lat, lon, alt = (np.array([positions[i][k] for i in ids]) for k in range(3))
    c_lat, c_lon, _ = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt).mean(axis=0))
    return ReceiverLayout(
        receiver_ids=ids, lat_deg=tuple(lat.tolist()), lon_deg=tuple(lon.tolist()), alt_m=tuple(alt.tolist()),
        centre_lat_deg=float(c_lat), centre_lon_deg=float(c_lon), centre_alt_m=float(alt.mean()),
        modalities=tuple(m for m in MODALITIES if m in modalities), position_tolerance_m=position_tolerance_m,
    )


def _receiver_entries(ms: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    receivers = ms.get("receivers") if isinstance(ms, Mapping) else None
    if not isinstance(receivers, list) or not receivers:
        raise InvalidInput("a measurement set needs a non-empty 'receivers' list", field="receivers")
    for rx in receivers:
        if not isinstance(rx, Mapping) or "id" not in rx or "lat" not in rx or "lon" not in rx:
            raise InvalidInput("each receiver needs 'id', 'lat' and 'lon'", field="receivers")
    return receivers


def _distance_m(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    return float(np.linalg.norm(geodetic_to_ecef(*a) - geodetic_to_ecef(*b)))
