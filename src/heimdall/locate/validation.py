"""Field-by-field validation of measurement-set documents.

Every failure names the offending field in the JSON-path style the API reports
(``rss[2].sigma_db``), so a user can fix their input without reading code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from heimdall.errors import InsufficientData, InvalidInput
from heimdall.geo import geodetic_to_ecef

TOP_LEVEL_FIELDS = frozenset({
    "frequency_hz", "receivers", "rss", "tdoa", "toa", "aoa", "propagation", "search_area",
    "method", "eirp_dbm", "transmitter_alt_m",
})
METHODS = frozenset({"auto", "classical", "neural"})
PROPAGATION_MODELS = frozenset({"log_distance"})
# Two used receivers closer than this are the same antenna: their geometry adds nothing but
# singular matrices.
SAME_POSITION_M = 1.0


def reject_unknown_fields(doc: dict[str, Any], allowed: frozenset[str], prefix: str) -> None:
    for key in doc:
        if key not in allowed:
            raise InvalidInput(f"unknown field '{prefix}{key}'", field=f"{prefix}{key}")


def number(raw: Any, path: str, *, positive: bool = False, lo: float | None = None,
           hi: float | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise InvalidInput(f"{path} must be a number", field=path)
    value = float(raw)
    if not math.isfinite(value):
        raise InvalidInput(f"{path} must be finite", field=path)
    if positive and value <= 0:
        raise InvalidInput(f"{path} must be > 0", field=path)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InvalidInput(f"{path} must lie in [{lo}, {hi}]", field=path)
    return value


def optional_number(doc: dict[str, Any], key: str, **kwargs: Any) -> float | None:
    raw = doc.get(key)
    return None if raw is None else number(raw, key, **kwargs)


def parse_scalars(doc: dict[str, Any]) -> dict[str, Any]:
    method = doc.get("method", "auto")
    if method not in METHODS:
        raise InvalidInput(f"unknown method {method!r} (expected one of {sorted(METHODS)})", field="method")
    return {
        "frequency_hz": optional_number(doc, "frequency_hz", positive=True),
        "method": method,
        "eirp_dbm": optional_number(doc, "eirp_dbm"),
        "transmitter_alt_m": optional_number(doc, "transmitter_alt_m", lo=-500.0, hi=1.0e5),
    }


def _entries(raw: Any, name: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidInput(f"{name} must be a list", field=name)
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise InvalidInput(f"{name}[{i}] must be an object", field=f"{name}[{i}]")
    return raw


def _required(entry: dict[str, Any], key: str, path: str) -> Any:
    if key not in entry:
        raise InvalidInput(f"{path}.{key} is required", field=f"{path}.{key}")
    return entry[key]


def parse_receivers(raw: Any) -> dict[str, Any]:
    entries = _entries(raw, "receivers")
    if not entries:
        raise InvalidInput("receivers must list at least one receiver", field="receivers")
    ids, lats, lons, alts = [], [], [], []
    for i, entry in enumerate(entries):
        path = f"receivers[{i}]"
        rid = _required(entry, "id", path)
        if not isinstance(rid, str) or not rid:
            raise InvalidInput(f"{path}.id must be a non-empty string", field=f"{path}.id")
        if rid in ids:
            raise InvalidInput(f"duplicate receiver id {rid!r}", field=f"{path}.id")
        ids.append(rid)
        lats.append(number(_required(entry, "lat", path), f"{path}.lat", lo=-90.0, hi=90.0))
        lons.append(number(_required(entry, "lon", path), f"{path}.lon", lo=-180.0, hi=180.0))
        alts.append(number(entry.get("alt_m", 0.0), f"{path}.alt_m", lo=-500.0, hi=1.0e5))
    return {"ids": tuple(ids), "lat_deg": np.array(lats), "lon_deg": np.array(lons), "alt_m": np.array(alts)}


def _receiver_index(entry: dict[str, Any], key: str, path: str, index: dict[str, int]) -> int:
    rid = _required(entry, key, path)
    if not isinstance(rid, str) or rid not in index:
        raise InvalidInput(f"{path}.{key}: unknown receiver {rid!r}", field=f"{path}.{key}")
    return index[rid]


def _columns(raw: Any, name: str, index: dict[str, int], refs: tuple[str, ...],
             values: tuple[tuple[str, dict[str, Any]], ...]) -> dict[str, Any]:
    """Parse a list of measurement entries into index arrays (``refs``) and float arrays (``values``)."""
    entries = _entries(raw, name)
    columns: dict[str, list[Any]] = {key: [] for key in refs + tuple(v[0] for v in values)}
    for i, entry in enumerate(entries):
        path = f"{name}[{i}]"
        for key in refs:
            columns[key].append(_receiver_index(entry, key, path, index))
        for key, kwargs in values:
            columns[key].append(number(_required(entry, key, path), f"{path}.{key}", **kwargs))
    out: dict[str, Any] = {key: np.array(columns[key], dtype=np.intp) for key in refs}
    out.update({key: np.array(columns[key], dtype=float) for key, _ in values})
    return out


def parse_rss(raw: Any, index: dict[str, int]) -> dict[str, Any]:
    return _columns(raw, "rss", index, ("receiver",), (("power_dbm", {}), ("sigma_db", {"positive": True})))


def parse_toa(raw: Any, index: dict[str, int]) -> dict[str, Any]:
    return _columns(raw, "toa", index, ("receiver",), (("toa_s", {}), ("sigma_s", {"positive": True})))


def parse_aoa(raw: Any, index: dict[str, int]) -> dict[str, Any]:
    return _columns(raw, "aoa", index, ("receiver",),
                    (("bearing_deg", {}), ("sigma_deg", {"positive": True, "hi": 180.0})))


def parse_tdoa(raw: Any, index: dict[str, int]) -> dict[str, Any]:
    out = _columns(raw, "tdoa", index, ("receiver", "reference"),
                   (("tdoa_s", {}), ("sigma_s", {"positive": True})))
    same = np.flatnonzero(out["receiver"] == out["reference"])
    if same.size:
        path = f"tdoa[{same[0]}].reference"
        raise InvalidInput(f"{path} must differ from the receiver", field=path)
    return out


def parse_propagation(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput("propagation must be an object", field="propagation")
    reject_unknown_fields(raw, frozenset({"model", "path_loss_exponent", "reference_distance_m"}), "propagation.")
    model = raw.get("model", "log_distance")
    if model not in PROPAGATION_MODELS:
        raise InvalidInput(f"unknown propagation model {model!r} (expected one of {sorted(PROPAGATION_MODELS)})",
                           field="propagation.model")
    out: dict[str, Any] = {"model": model}
    if "path_loss_exponent" in raw:
        exponent = raw["path_loss_exponent"]
        out["path_loss_exponent"] = None if exponent is None else number(
            exponent, "propagation.path_loss_exponent", positive=True, hi=10.0)
    if "reference_distance_m" in raw:
        out["reference_distance_m"] = number(raw["reference_distance_m"], "propagation.reference_distance_m",
                                             positive=True)
    return out


def parse_search_area(raw: Any) -> dict[str, float] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput("search_area must be an object", field="search_area")
    keys = ("lat_min", "lat_max", "lon_min", "lon_max")
    reject_unknown_fields(raw, frozenset(keys), "search_area.")
    values = {}
    for key in keys:
        lo, hi = (-90.0, 90.0) if key.startswith("lat") else (-180.0, 180.0)
        values[key] = number(_required(raw, key, "search_area"), f"search_area.{key}", lo=lo, hi=hi)
    if values["lat_min"] >= values["lat_max"]:
        raise InvalidInput("search_area.lat_min must be < lat_max", field="search_area.lat_min")
    if values["lon_min"] >= values["lon_max"]:
        raise InvalidInput("search_area.lon_min must be < lon_max", field="search_area.lon_min")
    return values


def check_receiver_geometry(ms: Any) -> None:
    """Used receivers must be at distinct positions, and a search area must contain at least one."""
    used = ms.used_receivers()
    rx = ms.receivers
    ecef = geodetic_to_ecef(rx.lat_deg[used], rx.lon_deg[used], rx.alt_m[used])
    # a k-d tree, not the all-pairs distance matrix: O(R log R) for the largest networks allowed
    pairs: NDArray[np.intp] = (cKDTree(ecef).query_pairs(SAME_POSITION_M, output_type="ndarray") if used.size > 1
                                else np.zeros((0, 2), dtype=np.intp))
    if len(pairs):
        gaps = np.linalg.norm(ecef[pairs[:, 0]] - ecef[pairs[:, 1]], axis=-1)
        i, j = pairs[np.argmin(gaps)]
        if gaps.min() < SAME_POSITION_M:
            a, b = sorted((int(used[i]), int(used[j])))
            raise InvalidInput(f"receivers {rx.ids[a]!r} and {rx.ids[b]!r} are at the same position",
                               field=f"receivers[{b}]")
    area = ms.search_area
    if area is not None:
        inside = ((rx.lat_deg >= area.lat_min) & (rx.lat_deg <= area.lat_max)
                  & (rx.lon_deg >= area.lon_min) & (rx.lon_deg <= area.lon_max))
        if not inside.any():
            raise InvalidInput("search_area contains none of the receivers", field="search_area")


def unknown_count(ms: Any) -> int:
    """Position (2) plus the nuisance parameters the present modalities bring."""
    count = 2
    if ms.toa.receiver.size:
        count += 1  # emission time
    if ms.rss.receiver.size:
        count += ms.eirp_dbm is None  # transmit power
        count += ms.propagation.path_loss_exponent is None
    return count


def check_identifiability(ms: Any) -> None:
    counts = ms.counts()
    total = sum(counts.values())
    if total == 0:
        raise InvalidInput("a measurement set needs at least one of rss, tdoa, toa, aoa", field="")
    if ms.eirp_dbm is not None and counts["rss"] and ms.frequency_hz is None:
        raise InvalidInput("frequency_hz is required to use rss with a known eirp_dbm", field="frequency_hz")
    unknowns = unknown_count(ms)
    if total < unknowns:
        raise InsufficientData(
            f"{total} measurement(s) for {unknowns} unknowns (position, plus emission time for toa and "
            f"transmit power / path-loss exponent for rss when not given)",
            details={"measurements": counts, "unknowns": unknowns},
        )
