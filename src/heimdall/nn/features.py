"""Fixed-size feature tensors from CONTRACT section 4.1 measurement sets (numpy only, no torch).

One row per receiver slot of a ``ReceiverLayout`` (absent receivers are padded with ``present = 0``),
one column per entry of ``FEATURE_CHANNELS``. These are the *raw* features: the network (and the ONNX
graph exported from it) applies the ``FeatureNormalization`` itself, so training and inference share
exactly this code and these numbers.

Channel meanings (lengths in metres, times turned into lengths with c):

- ``present``, ``rss_mask``, ``toa_mask``, ``tdoa_mask``, ``aoa_mask``: 1 where the value exists, else 0.
- ``east_m``/``north_m``/``up_m``: receiver position about the layout centre.
- ``power_dbm`` and ``power_rel_db`` (power minus the set's mean power: the unknown transmit power
  cancels), ``log_sigma_db`` (natural log of the shadowing sigma).
- ``toa_m``: c * (toa_s - mean toa_s of the set): the unknown emission time removed.
- ``tdoa_m``: pseudo-ranges c * t_i solved by weighted least squares from the pairs
  ``t_receiver - t_reference = tdoa_s`` with zero mean (any connected set of pairs, any references).
- ``aoa_sin``/``aoa_cos`` of the bearing, ``log_*_sigma_*`` the natural log of each 1-sigma error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InsufficientData, InvalidInput, NoModelAvailable
from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.nn.layout import MODALITIES, ReceiverLayout

FEATURE_CHANNELS = (
    "present", "east_m", "north_m", "up_m",
    "rss_mask", "power_dbm", "power_rel_db", "log_sigma_db",
    "toa_mask", "toa_m", "log_toa_sigma_m",
    "tdoa_mask", "tdoa_m", "log_tdoa_sigma_m",
    "aoa_mask", "aoa_sin", "aoa_cos", "log_aoa_sigma_deg",
)
CH = {name: i for i, name in enumerate(FEATURE_CHANNELS)}
# How each channel is normalised: masks untouched, lengths divided by one common length scale (so the
# geometry keeps its shape), everything else standardised with training-split statistics.
CHANNEL_KIND = {
    name: "mask" if name in ("present",) or name.endswith("_mask")
    else "length" if name in ("east_m", "north_m", "toa_m", "tdoa_m")
    else "standard"
    for name in FEATURE_CHANNELS
}
# Which mask switches each channel on; a value channel is zeroed (after normalisation) where it is off.
CHANNEL_GATE = {
    "present": "present", "east_m": "present", "north_m": "present", "up_m": "present",
    "rss_mask": "rss_mask", "power_dbm": "rss_mask", "power_rel_db": "rss_mask", "log_sigma_db": "rss_mask",
    "toa_mask": "toa_mask", "toa_m": "toa_mask", "log_toa_sigma_m": "toa_mask",
    "tdoa_mask": "tdoa_mask", "tdoa_m": "tdoa_mask", "log_tdoa_sigma_m": "tdoa_mask",
    "aoa_mask": "aoa_mask", "aoa_sin": "aoa_mask", "aoa_cos": "aoa_mask", "log_aoa_sigma_deg": "aoa_mask",
}


def channel_gate_index() -> tuple[int, ...]:
    return tuple(CH[CHANNEL_GATE[name]] for name in FEATURE_CHANNELS)


def build_features(measurement_sets: Sequence[Mapping[str, Any]], layout: ReceiverLayout) -> NDArray[np.float32]:
    """Raw features, shape (N, R, C), float32, for measurement sets that fit ``layout``.

    Raises ``InvalidInput`` for malformed sets, ``InsufficientData`` for a set without measurements and
    ``NoModelAvailable`` when a set does not fit the layout (unknown receiver, moved receiver, a
    modality the layout lacks).
    """
    out = np.zeros((len(measurement_sets), layout.max_receivers, len(FEATURE_CHANNELS)), dtype=np.float64)
    slots = layout.slot_of()
    enu_m = layout.receivers_enu_m()
    ecef_m = geodetic_to_ecef(np.asarray(layout.lat_deg), np.asarray(layout.lon_deg), np.asarray(layout.alt_m))
    for n, ms in enumerate(measurement_sets):
        _fill_sample(out[n], ms, layout, slots, enu_m, ecef_m)
    return out.astype(np.float32)


def targets_en_m(truths: Sequence[Mapping[str, Any]], layout: ReceiverLayout) -> NDArray[np.float64]:
    """(N, 2) east/north metres of the true positions about the layout centre."""
    try:
        lat = np.array([float(t["lat"]) for t in truths])
        lon = np.array([float(t["lon"]) for t in truths])
        alt = np.array([float(t.get("alt_m") or 0.0) for t in truths])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"each truth needs numeric 'lat' and 'lon': {exc!r}", field="truth") from exc
    if not (np.all(np.isfinite(lat)) and np.all(np.isfinite(lon)) and np.all(np.isfinite(alt))):
        raise InvalidInput("truth positions must be finite", field="truth")
    return layout.geodetic_to_en_m(lat, lon, alt)


def modality_counts(ms: Mapping[str, Any]) -> dict[str, int]:
    return {m: len(ms.get(m) or []) for m in MODALITIES}


def _fill_sample(
    row: NDArray, ms: Mapping[str, Any], layout: ReceiverLayout, slots: dict[str, int],
    enu_m: NDArray, ecef_m: NDArray,
) -> None:
    if not isinstance(ms, Mapping):
        raise InvalidInput("a measurement set must be a JSON object")
    present = _receiver_slots(ms, layout, slots, ecef_m)
    idx = np.fromiter(present.values(), dtype=int)
    row[idx, CH["present"]] = 1.0
    row[idx, CH["east_m"]:CH["up_m"] + 1] = enu_m[idx]
    used = [m for m in MODALITIES if ms.get(m)]
    if not used:
        raise InsufficientData("the measurement set has no rss, toa, tdoa or aoa measurements")
    missing = [m for m in used if m not in layout.modalities]
    if missing:
        raise NoModelAvailable(
            f"the network was not trained on {', '.join(missing)} (it knows {', '.join(layout.modalities)})",
            details={"modalities": missing},
        )
    for modality in used:
        entries = ms[modality]
        if not isinstance(entries, list):
            raise InvalidInput(f"'{modality}' must be a list", field=modality)
        _FILLERS[modality](row, entries, present)


def _receiver_slots(
    ms: Mapping[str, Any], layout: ReceiverLayout, slots: dict[str, int], ecef_m: NDArray
) -> dict[str, int]:
    receivers = ms.get("receivers")
    if not isinstance(receivers, list) or not receivers:
        raise InvalidInput("a measurement set needs a non-empty 'receivers' list", field="receivers")
    present: dict[str, int] = {}
    positions = np.empty((len(receivers), 3))
    for i, rx in enumerate(receivers):
        if not isinstance(rx, Mapping) or not isinstance(rx.get("id"), str):
            raise InvalidInput("each receiver needs a string 'id'", field=f"receivers[{i}].id")
        rid = rx["id"]
        if rid in present:
            raise InvalidInput(f"receiver {rid!r} is listed twice", field=f"receivers[{i}].id")
        if rid not in slots:
            raise NoModelAvailable(f"receiver {rid!r} is not in the network's receiver layout", details={"receiver": rid})
        positions[i] = [_number(rx, key, f"receivers[{i}]", default=0.0 if key == "alt_m" else None)
                        for key in ("lat", "lon", "alt_m")]
        present[rid] = slots[rid]
    moved_m = np.linalg.norm(
        geodetic_to_ecef(positions[:, 0], positions[:, 1], positions[:, 2]) - ecef_m[list(present.values())], axis=-1
    )
    if np.any(moved_m > layout.position_tolerance_m):
        worst = int(np.argmax(moved_m))
        rid = receivers[worst]["id"]
        raise NoModelAvailable(
            f"receiver {rid!r} is {moved_m[worst]:.0f} m from where the network knows it", details={"receiver": rid}
        )
    return present


def _number(entry: Mapping[str, Any], key: str, where: str, *, default: float | None = None,
            positive: bool = False) -> float:
    value = entry.get(key, default) if isinstance(entry, Mapping) else None
    if value is None and default is not None:
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(f"{where}.{key} must be a finite number", field=f"{where}.{key}")
    if positive and value <= 0:
        raise InvalidInput(f"{where}.{key} must be > 0", field=f"{where}.{key}")
    return float(value)


def _slot(entry: Any, key: str, present: dict[str, int], where: str) -> int:
    rid = entry.get(key) if isinstance(entry, Mapping) else None
    if rid not in present:
        raise InvalidInput(f"{where}.{key} {rid!r} is not one of the set's receivers", field=f"{where}.{key}")
    return present[rid]


def _unique_slots(entries: list, modality: str, present: dict[str, int]) -> NDArray[np.int_]:
    idx = np.array([_slot(e, "receiver", present, f"{modality}[{i}]") for i, e in enumerate(entries)], dtype=int)
    if len(np.unique(idx)) != len(idx):
        raise InvalidInput(f"a receiver has two {modality} measurements", field=modality)
    return idx


def _values(entries: list, modality: str, key: str, *, positive: bool = False) -> NDArray[np.float64]:
    return np.array([_number(e, key, f"{modality}[{i}]", positive=positive) for i, e in enumerate(entries)])


def _fill_rss(row: NDArray, entries: list, present: dict[str, int]) -> None:
    idx = _unique_slots(entries, "rss", present)
    power_dbm = _values(entries, "rss", "power_dbm")
    row[idx, CH["rss_mask"]] = 1.0
    row[idx, CH["power_dbm"]] = power_dbm
    row[idx, CH["power_rel_db"]] = power_dbm - power_dbm.mean()
    row[idx, CH["log_sigma_db"]] = np.log(_values(entries, "rss", "sigma_db", positive=True))


def _fill_toa(row: NDArray, entries: list, present: dict[str, int]) -> None:
    idx = _unique_slots(entries, "toa", present)
    toa_s = _values(entries, "toa", "toa_s")
    row[idx, CH["toa_mask"]] = 1.0
    # Subtract in float64 seconds first: toa_s may carry a large common offset.
    row[idx, CH["toa_m"]] = (toa_s - toa_s.mean()) * SPEED_OF_LIGHT_M_S
    row[idx, CH["log_toa_sigma_m"]] = np.log(_values(entries, "toa", "sigma_s", positive=True) * SPEED_OF_LIGHT_M_S)


def _fill_tdoa(row: NDArray, entries: list, present: dict[str, int]) -> None:
    rx = np.array([_slot(e, "receiver", present, f"tdoa[{i}]") for i, e in enumerate(entries)], dtype=int)
    ref = np.array([_slot(e, "reference", present, f"tdoa[{i}]") for i, e in enumerate(entries)], dtype=int)
    if np.any(rx == ref):
        raise InvalidInput("a tdoa pair needs two different receivers", field="tdoa")
    tdoa_m = _values(entries, "tdoa", "tdoa_s") * SPEED_OF_LIGHT_M_S
    sigma_m = _values(entries, "tdoa", "sigma_s", positive=True) * SPEED_OF_LIGHT_M_S
    nodes, local = np.unique(np.concatenate([rx, ref]), return_inverse=True)
    design = np.zeros((len(entries), len(nodes)))
    design[np.arange(len(entries)), local[: len(entries)]] = 1.0
    design[np.arange(len(entries)), local[len(entries):]] -= 1.0
    # Minimum-norm weighted least squares: the free common offset comes out as zero mean.
    pseudo_m, _, rank, _ = np.linalg.lstsq(design / sigma_m[:, None], tdoa_m / sigma_m, rcond=None)
    if rank != len(nodes) - 1:
        raise InvalidInput("the tdoa pairs must link all the receivers they name", field="tdoa")
    information = np.zeros(len(nodes))
    np.add.at(information, local, np.concatenate([sigma_m, sigma_m]) ** -2.0)
    row[nodes, CH["tdoa_mask"]] = 1.0
    row[nodes, CH["tdoa_m"]] = pseudo_m - pseudo_m.mean()
    row[nodes, CH["log_tdoa_sigma_m"]] = -0.5 * np.log(information)


def _fill_aoa(row: NDArray, entries: list, present: dict[str, int]) -> None:
    idx = _unique_slots(entries, "aoa", present)
    bearing_rad = np.radians(_values(entries, "aoa", "bearing_deg"))
    row[idx, CH["aoa_mask"]] = 1.0
    row[idx, CH["aoa_sin"]] = np.sin(bearing_rad)
    row[idx, CH["aoa_cos"]] = np.cos(bearing_rad)
    row[idx, CH["log_aoa_sigma_deg"]] = np.log(_values(entries, "aoa", "sigma_deg", positive=True))


_FILLERS = {"rss": _fill_rss, "toa": _fill_toa, "tdoa": _fill_tdoa, "aoa": _fill_aoa}
