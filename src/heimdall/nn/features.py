"""Fixed-size feature tensors from CONTRACT section 4.1 measurement sets (numpy only, no torch).

One row per receiver slot of a ``ReceiverLayout`` (absent receivers are padded with ``present = 0``),
one column per entry of ``FEATURE_CHANNELS``. Built from columns (``MeasurementColumns``: a shard's, or
parsed ``MeasurementSet``s stacked), every set of a batch at once: no Python loop over samples. These are the *raw* features: the network (and the ONNX
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

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InsufficientData, InvalidInput, NoModelAvailable
from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.locate.measurement_columns import MeasurementColumns, stack_sets
from heimdall.locate.measurement_set import MeasurementSet, Receivers
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


def build_features(measurements: Sequence[MeasurementSet] | MeasurementColumns,
                   layout: ReceiverLayout) -> NDArray[np.float32]:
    """Raw features, shape (N, R, C), float32, of parsed measurement sets or of columns (a shard's).

    Raises ``NoModelAvailable`` when a set does not fit the layout (unknown receiver, moved receiver, a
    modality the layout lacks), ``InsufficientData`` for a set without measurements and
    ``InvalidInput`` for values no parsed set can hold (columns read from a damaged shard).
    """
    columns = on_layout(measurements, layout)
    _check_modalities(columns, layout)
    raw = np.zeros((len(columns), layout.max_receivers, len(FEATURE_CHANNELS)))
    raw[..., CH["present"]] = columns.present
    raw[..., CH["east_m"]:CH["up_m"] + 1] = np.where(columns.present[..., None], layout.receivers_enu_m(), 0.0)
    _fill_rss(raw, columns)
    _fill_toa(raw, columns)
    _fill_tdoa(raw, columns)
    _fill_aoa(raw, columns)
    return raw.astype(np.float32)


def targets_en_m(lat_deg: ArrayLike, lon_deg: ArrayLike, alt_m: ArrayLike,
                 layout: ReceiverLayout) -> NDArray[np.float64]:
    """(N, 2) east/north metres of the true positions about the layout centre."""
    lat, lon, alt = (np.asarray(v, dtype=float) for v in (lat_deg, lon_deg, alt_m))
    if not (np.all(np.isfinite(lat)) and np.all(np.isfinite(lon)) and np.all(np.isfinite(alt))):
        raise InvalidInput("truth positions must be finite", field="truth")
    return layout.geodetic_to_en_m(lat, lon, alt)


# ------------------------------------------------------------------------------------- the layout


def on_layout(measurements: Sequence[MeasurementSet] | MeasurementColumns,
              layout: ReceiverLayout) -> MeasurementColumns:
    """The sets as columns over the layout's receiver slots; ``NoModelAvailable`` for a receiver the
    layout does not know, or knows more than ``position_tolerance_m`` away."""
    if isinstance(measurements, MeasurementColumns):
        (index,) = _slots([measurements.receivers], layout)
        if np.array_equal(index, np.arange(layout.max_receivers)):
            return measurements
        return measurements.on_receivers(index, layout.receivers())
    return stack_sets(measurements, layout.receivers(), _slots([ms.receivers for ms in measurements], layout))


def _slots(receiver_lists: Sequence[Receivers], layout: ReceiverLayout) -> list[NDArray[np.intp]]:
    slot_of = layout.slot_of()
    index = []
    for receivers in receiver_lists:
        unknown = [rid for rid in receivers.ids if rid not in slot_of]
        if unknown:
            raise NoModelAvailable(f"receiver {unknown[0]!r} is not in the network's receiver layout",
                                   details={"receiver": unknown[0]})
        index.append(np.array([slot_of[rid] for rid in receivers.ids], dtype=np.intp))
    if not index:
        return index
    # One vectorised distance check over every receiver of every set.
    position = [np.concatenate([getattr(rx, name) for rx in receiver_lists]) for name in ("lat_deg", "lon_deg", "alt_m")]
    slots = np.concatenate(index)
    layout_ecef = geodetic_to_ecef(np.asarray(layout.lat_deg), np.asarray(layout.lon_deg), np.asarray(layout.alt_m))
    moved_m = np.linalg.norm(geodetic_to_ecef(*position) - layout_ecef[slots], axis=-1)
    worst = int(np.argmax(moved_m))
    if moved_m[worst] > layout.position_tolerance_m:
        rid = layout.receiver_ids[slots[worst]]
        raise NoModelAvailable(f"receiver {rid!r} is {moved_m[worst]:.0f} m from where the network knows it",
                               details={"receiver": rid})
    return index


def _check_modalities(columns: MeasurementColumns, layout: ReceiverLayout) -> None:
    counts = columns.counts()
    empty = np.flatnonzero(sum(counts.values()) == 0)
    if empty.size:
        raise InsufficientData("the measurement set has no rss, toa, tdoa or aoa measurements",
                               details={"row": int(empty[0])})
    missing = [m for m in MODALITIES if counts[m].any() and m not in layout.modalities]
    if missing:
        raise NoModelAvailable(
            f"the network was not trained on {', '.join(missing)} (it knows {', '.join(layout.modalities)})",
            details={"modalities": missing},
        )


# -------------------------------------------------------------------------------------- the values


def _measured(value: NDArray[np.float64], sigma: NDArray[np.float64], name: str) -> NDArray[np.bool_]:
    """Where ``value`` is measured (not NaN); every measured value must be finite with a positive sigma."""
    on: NDArray[np.bool_] = ~np.isnan(value)
    if np.any(on & ~(np.isfinite(value) & np.isfinite(sigma) & (sigma > 0))):
        raise InvalidInput(f"{name} values must be finite with a finite sigma > 0", field=name)
    return on


def _centred(value: NDArray[np.float64], on: NDArray[np.bool_]) -> NDArray[np.float64]:
    """``value`` minus its mean over the measured entries of each set (0 where not measured)."""
    kept = np.where(on, value, 0.0)
    mean = kept.sum(axis=1, keepdims=True) / np.maximum(on.sum(axis=1, keepdims=True), 1)
    return np.where(on, kept - mean, 0.0)


def _log(value: NDArray[np.float64], on: NDArray[np.bool_]) -> NDArray[np.float64]:
    return np.where(on, np.log(np.where(on, value, 1.0)), 0.0)


def _fill_rss(raw: NDArray[np.float64], c: MeasurementColumns) -> None:
    on = _measured(c.rss_power_dbm, c.rss_sigma_db, "rss")
    raw[..., CH["rss_mask"]] = on
    raw[..., CH["power_dbm"]] = np.where(on, c.rss_power_dbm, 0.0)
    raw[..., CH["power_rel_db"]] = _centred(c.rss_power_dbm, on)
    raw[..., CH["log_sigma_db"]] = _log(c.rss_sigma_db, on)


def _fill_toa(raw: NDArray[np.float64], c: MeasurementColumns) -> None:
    on = _measured(c.toa_s, c.toa_sigma_s, "toa")
    raw[..., CH["toa_mask"]] = on
    # Centre in float64 seconds first: toa_s may carry a large common offset.
    raw[..., CH["toa_m"]] = _centred(c.toa_s, on) * SPEED_OF_LIGHT_M_S
    raw[..., CH["log_toa_sigma_m"]] = _log(c.toa_sigma_s * SPEED_OF_LIGHT_M_S, on)


def _fill_aoa(raw: NDArray[np.float64], c: MeasurementColumns) -> None:
    on = _measured(c.aoa_bearing_deg, c.aoa_sigma_deg, "aoa")
    bearing_rad = np.radians(np.where(on, c.aoa_bearing_deg, 0.0))
    raw[..., CH["aoa_mask"]] = on
    raw[..., CH["aoa_sin"]] = np.where(on, np.sin(bearing_rad), 0.0)
    raw[..., CH["aoa_cos"]] = np.where(on, np.cos(bearing_rad), 0.0)
    raw[..., CH["log_aoa_sigma_deg"]] = _log(c.aoa_sigma_deg, on)


def _fill_tdoa(raw: NDArray[np.float64], c: MeasurementColumns) -> None:
    """Zero-mean pseudo-ranges by weighted least squares over each set's pairs, all sets at once.

    With the pairs' incidence matrix A (+1 receiver, -1 reference) and weights W = 1/sigma^2, the
    pseudo-ranges solve the graph Laplacian system A^T W A x = A^T W tdoa. A connected set of pairs
    leaves only the common offset free; adding a multiple of 1 1^T over the set's receivers pins it
    to zero mean, which is the minimum-norm solution.
    """
    pair = c.tdoa_receiver >= 0
    if not pair.any():
        return
    if np.any(pair & ((c.tdoa_reference < 0) | (c.tdoa_reference == c.tdoa_receiver))):
        raise InvalidInput("a tdoa pair needs two different receivers", field="tdoa")
    if np.any(pair & np.isnan(c.tdoa_s)):
        raise InvalidInput("tdoa values must be finite with a finite sigma > 0", field="tdoa")
    _measured(np.where(pair, c.tdoa_s, np.nan), np.where(pair, c.tdoa_sigma_s, 1.0), "tdoa")
    n, p = pair.shape
    r = raw.shape[1]
    rows, cols = np.arange(n)[:, None], np.arange(p)[None, :]
    incidence = np.zeros((n, p, r))
    incidence[rows, cols, np.maximum(c.tdoa_receiver, 0)] = pair
    incidence[rows, cols, np.maximum(c.tdoa_reference, 0)] -= pair
    tdoa_m = np.where(pair, c.tdoa_s, 0.0) * SPEED_OF_LIGHT_M_S
    weight = np.where(pair, (np.where(pair, c.tdoa_sigma_s, 1.0) * SPEED_OF_LIGHT_M_S) ** -2.0, 0.0)
    laplacian = np.einsum("npi,np,npj->nij", incidence, weight, incidence)
    nodes = np.any(incidence != 0, axis=1)
    _check_connected(laplacian, nodes)
    k = np.maximum(nodes.sum(axis=1), 1)
    information = np.einsum("nii->ni", laplacian)
    pin = (information.sum(axis=1) / k**2)[:, None, None] * (nodes[:, :, None] & nodes[:, None, :])
    system = laplacian + pin + np.eye(r) * ~nodes[:, :, None]
    rhs = np.einsum("npi,np->ni", incidence, weight * tdoa_m)
    pseudo_m = np.linalg.solve(system, rhs[..., None])[..., 0]
    mean_m = np.where(nodes, pseudo_m, 0.0).sum(axis=1, keepdims=True) / k[:, None]
    raw[..., CH["tdoa_mask"]] = nodes
    raw[..., CH["tdoa_m"]] = np.where(nodes, pseudo_m - mean_m, 0.0)
    raw[..., CH["log_tdoa_sigma_m"]] = np.where(nodes, -0.5 * np.log(np.where(nodes, information, 1.0)), 0.0)


def _check_connected(laplacian: NDArray[np.float64], nodes: NDArray[np.bool_]) -> None:
    """Every pair of receivers a set's TDoA pairs name must be linked through its pairs."""
    r = laplacian.shape[-1]
    reach = ((laplacian != 0) | np.eye(r, dtype=bool)).astype(np.float32)
    for _ in range(max(int(np.ceil(np.log2(max(r - 1, 1)))), 0)):
        reach = np.minimum(reach @ reach, 1.0)  # paths twice as long each time
    if np.any(nodes[:, :, None] & nodes[:, None, :] & (reach == 0)):
        raise InvalidInput("the tdoa pairs must link all the receivers they name", field="tdoa")
