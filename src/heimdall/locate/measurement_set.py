"""Measurement sets (CONTRACT section 4.1): typed, validated, immutable.

``parse_measurement_set`` is the one gate between untrusted JSON and the estimators: after it, every
number is finite, every sigma positive, every receiver id resolved to an index and the problem is
known to have at least as many measurements as unknowns.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.locate.limits import check_entry_counts
from heimdall.locate.validation import (
    TOP_LEVEL_FIELDS,
    check_identifiability,
    check_receiver_geometry,
    parse_aoa,
    parse_propagation,
    parse_receivers,
    parse_rss,
    parse_scalars,
    parse_search_area,
    parse_tdoa,
    parse_toa,
    reject_unknown_fields,
    unknown_count,
)

MODALITIES = ("toa", "tdoa", "rss", "aoa")
__all__ = ["MODALITIES", "AoaMeasurements", "MeasurementSet", "Propagation", "Receivers", "RssMeasurements",
           "SearchArea", "TdoaMeasurements", "ToaMeasurements", "measurement_count", "measurement_set_to_dict",
           "parse_measurement_set", "select_receivers", "unknown_count"]


@dataclass(frozen=True, eq=False)
class Receivers:
    ids: tuple[str, ...]
    lat_deg: NDArray[np.float64]
    lon_deg: NDArray[np.float64]
    alt_m: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class RssMeasurements:
    receiver: NDArray[np.intp]
    power_dbm: NDArray[np.float64]
    sigma_db: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class TdoaMeasurements:
    """``tdoa_s`` = arrival at ``receiver`` minus arrival at ``reference``; independent errors."""

    receiver: NDArray[np.intp]
    reference: NDArray[np.intp]
    tdoa_s: NDArray[np.float64]
    sigma_s: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ToaMeasurements:
    receiver: NDArray[np.intp]
    toa_s: NDArray[np.float64]
    sigma_s: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class AoaMeasurements:
    receiver: NDArray[np.intp]
    bearing_deg: NDArray[np.float64]
    sigma_deg: NDArray[np.float64]


@dataclass(frozen=True)
class Propagation:
    model: str = "log_distance"
    path_loss_exponent: float | None = 3.0  # None: estimate it
    reference_distance_m: float = 1000.0


@dataclass(frozen=True)
class SearchArea:
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


def _empty(kind: Any) -> Any:
    arrays = {name: np.zeros(0, dtype=np.intp if name in ("receiver", "reference") else float)
              for name in kind.__dataclass_fields__}
    return kind(**arrays)


@dataclass(frozen=True, eq=False)
class MeasurementSet:
    receivers: Receivers
    rss: RssMeasurements = field(default_factory=lambda: _empty(RssMeasurements))
    tdoa: TdoaMeasurements = field(default_factory=lambda: _empty(TdoaMeasurements))
    toa: ToaMeasurements = field(default_factory=lambda: _empty(ToaMeasurements))
    aoa: AoaMeasurements = field(default_factory=lambda: _empty(AoaMeasurements))
    frequency_hz: float | None = None
    propagation: Propagation = field(default_factory=Propagation)
    search_area: SearchArea | None = None
    method: str = "auto"
    eirp_dbm: float | None = None
    transmitter_alt_m: float | None = None

    def counts(self) -> dict[str, int]:
        return {name: int(getattr(self, name).receiver.size) for name in MODALITIES}

    def used_receivers(self) -> NDArray[np.intp]:
        """Indices of the receivers that at least one measurement refers to, sorted."""
        parts = [getattr(self, name).receiver for name in MODALITIES] + [self.tdoa.reference]
        return np.unique(np.concatenate(parts)).astype(np.intp)

    @property
    def tx_alt_m(self) -> float:
        return 0.0 if self.transmitter_alt_m is None else float(self.transmitter_alt_m)


def parse_measurement_set(doc: dict[str, Any], *, check_unknowns: bool = True) -> MeasurementSet:
    """Validate a measurement-set document and return it typed; raises InvalidInput / InsufficientData.

    ``check_unknowns=False`` skips the count of measurements against the position's unknowns, for
    sets whose transmitter position is known (calibration references, ``heimdall.calibrate``).
    """
    if not isinstance(doc, dict):
        raise InvalidInput("a measurement set must be a JSON object", field="")
    reject_unknown_fields(doc, TOP_LEVEL_FIELDS, prefix="")
    check_entry_counts(doc)
    scalars = parse_scalars(doc)
    receivers = Receivers(**parse_receivers(doc.get("receivers")))
    index = {rid: i for i, rid in enumerate(receivers.ids)}
    ms = MeasurementSet(
        receivers=receivers,
        rss=RssMeasurements(**parse_rss(doc.get("rss"), index)),
        tdoa=TdoaMeasurements(**parse_tdoa(doc.get("tdoa"), index)),
        toa=ToaMeasurements(**parse_toa(doc.get("toa"), index)),
        aoa=AoaMeasurements(**parse_aoa(doc.get("aoa"), index)),
        propagation=Propagation(**parse_propagation(doc.get("propagation"))),
        search_area=_search_area(doc.get("search_area")),
        **scalars,
    )
    check_receiver_geometry(ms)
    if check_unknowns:
        check_identifiability(ms)
    return ms


def _search_area(raw: Any) -> SearchArea | None:
    values = parse_search_area(raw)
    return None if values is None else SearchArea(**values)


def measurement_set_to_dict(ms: MeasurementSet) -> dict[str, Any]:
    """The JSON document of a measurement set; ``parse_measurement_set`` of it gives it back."""
    ids = ms.receivers.ids
    doc: dict[str, Any] = {
        "receivers": [
            {"id": rid, "lat": float(lat), "lon": float(lon), "alt_m": float(alt)}
            for rid, lat, lon, alt in zip(ids, ms.receivers.lat_deg, ms.receivers.lon_deg, ms.receivers.alt_m, strict=False)
        ],
    }
    if ms.frequency_hz is not None:
        doc["frequency_hz"] = ms.frequency_hz
    if ms.rss.receiver.size:
        doc["rss"] = [{"receiver": ids[i], "power_dbm": float(p), "sigma_db": float(s)}
                      for i, p, s in zip(ms.rss.receiver, ms.rss.power_dbm, ms.rss.sigma_db, strict=False)]
    if ms.tdoa.receiver.size:
        doc["tdoa"] = [{"receiver": ids[i], "reference": ids[j], "tdoa_s": float(t), "sigma_s": float(s)}
                       for i, j, t, s in zip(ms.tdoa.receiver, ms.tdoa.reference, ms.tdoa.tdoa_s, ms.tdoa.sigma_s, strict=False)]
    if ms.toa.receiver.size:
        doc["toa"] = [{"receiver": ids[i], "toa_s": float(t), "sigma_s": float(s)}
                      for i, t, s in zip(ms.toa.receiver, ms.toa.toa_s, ms.toa.sigma_s, strict=False)]
    if ms.aoa.receiver.size:
        doc["aoa"] = [{"receiver": ids[i], "bearing_deg": float(b), "sigma_deg": float(s)}
                      for i, b, s in zip(ms.aoa.receiver, ms.aoa.bearing_deg, ms.aoa.sigma_deg, strict=False)]
    doc["propagation"] = {
        "model": ms.propagation.model,
        "path_loss_exponent": ms.propagation.path_loss_exponent,
        "reference_distance_m": ms.propagation.reference_distance_m,
    }
    if ms.search_area is not None:
        area = ms.search_area
        doc["search_area"] = {"lat_min": area.lat_min, "lat_max": area.lat_max,
                              "lon_min": area.lon_min, "lon_max": area.lon_max}
    doc["method"] = ms.method
    if ms.eirp_dbm is not None:
        doc["eirp_dbm"] = ms.eirp_dbm
    if ms.transmitter_alt_m is not None:
        doc["transmitter_alt_m"] = ms.transmitter_alt_m
    return doc


def select_receivers(ms: MeasurementSet, drop: set[int]) -> MeasurementSet:
    """The same set without every measurement that involves a receiver index in ``drop``."""
    def keep(part: Any, *index_arrays: NDArray[np.intp]) -> Any:
        mask = np.ones(part.receiver.size, dtype=bool)
        for arr in index_arrays:
            mask &= ~np.isin(arr, list(drop))
        return type(part)(**{name: getattr(part, name)[mask] for name in part.__dataclass_fields__})

    return replace(
        ms,
        rss=keep(ms.rss, ms.rss.receiver),
        tdoa=keep(ms.tdoa, ms.tdoa.receiver, ms.tdoa.reference),
        toa=keep(ms.toa, ms.toa.receiver),
        aoa=keep(ms.aoa, ms.aoa.receiver),
    )


def measurement_count(ms: MeasurementSet) -> int:
    return sum(ms.counts().values())
