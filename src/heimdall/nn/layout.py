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
from heimdall.locate.measurement_set import MeasurementSet, Receivers

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

    def receivers(self) -> Receivers:
        return Receivers(ids=self.receiver_ids, lat_deg=np.asarray(self.lat_deg), lon_deg=np.asarray(self.lon_deg),
                         alt_m=np.asarray(self.alt_m))

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

    def en_to_geodetic(self, en_m: Any, alt_m: Any = 0.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
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
    measurement_sets: Iterable[MeasurementSet], *, position_tolerance_m: float = 100.0
) -> ReceiverLayout:
    """The union of receivers and modalities over parsed measurement sets (see ``layout_from_receivers``)."""
    sets = list(measurement_sets)
    modalities = {m for ms in sets for m, n in ms.counts().items() if n}
    receivers = union_receivers((ms.receivers for ms in sets), position_tolerance_m=position_tolerance_m)
    return layout_from_receivers(receivers, modalities, position_tolerance_m=position_tolerance_m)


def layout_from_receivers(receivers: Receivers, modalities: Iterable[str], *,
                          position_tolerance_m: float = 100.0) -> ReceiverLayout:
    """A layout of these receivers, ordered by id (the same receivers always give the same layout) and
    centred on their ECEF centroid, for the given modalities (kept in ``MODALITIES`` order)."""
    if not len(receivers):
        raise InvalidInput("no receivers in the samples", field="receivers")
    order = np.argsort(np.array(receivers.ids, dtype=object), kind="stable")
    ids = tuple(receivers.ids[i] for i in order)
    lat, lon, alt = receivers.lat_deg[order], receivers.lon_deg[order], receivers.alt_m[order]
    c_lat, c_lon, _ = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt).mean(axis=0))
    wanted = set(modalities)
    return ReceiverLayout(
        receiver_ids=ids, lat_deg=tuple(lat.tolist()), lon_deg=tuple(lon.tolist()), alt_m=tuple(alt.tolist()),
        centre_lat_deg=float(c_lat), centre_lon_deg=float(c_lon), centre_alt_m=float(alt.mean()),
        modalities=tuple(m for m in MODALITIES if m in wanted), position_tolerance_m=position_tolerance_m,
    )


def union_receivers(receiver_lists: Iterable[Receivers], *, position_tolerance_m: float = 100.0) -> Receivers:
    """Every receiver of the lists once, where it first appears; InvalidInput if one moves further than
    ``position_tolerance_m`` from list to list."""
    ecef: dict[str, NDArray[np.float64]] = {}
    geodetic: dict[str, tuple[float, float, float]] = {}
    for receivers in receiver_lists:
        here = geodetic_to_ecef(receivers.lat_deg, receivers.lon_deg, receivers.alt_m).reshape(-1, 3)
        for i, rid in enumerate(receivers.ids):
            if rid not in ecef:
                ecef[rid] = here[i]
                geodetic[rid] = (float(receivers.lat_deg[i]), float(receivers.lon_deg[i]), float(receivers.alt_m[i]))
            elif np.linalg.norm(here[i] - ecef[rid]) > position_tolerance_m:
                raise InvalidInput(f"receiver {rid!r} moves between samples", field="receivers")
    positions = np.array([geodetic[rid] for rid in geodetic]).reshape(-1, 3)
    return Receivers(ids=tuple(geodetic), lat_deg=positions[:, 0], lon_deg=positions[:, 1], alt_m=positions[:, 2])
