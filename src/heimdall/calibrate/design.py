"""The linear model of the offsets: every reference measurement, minus what the known transmitter
position predicts, is a sum of receiver offsets, per-reference nuisances and noise.

    toa      toa_i - d_i / c                     = t0_k + tau_i + e
    tdoa     tdoa_ij - (d_i - d_j) / c           = tau_i - tau_j + e
    rss      p_i - (P_k - n 10 log10(d_i / d0))  = g_i + e         (P_k a nuisance unless EIRP known;
                                                                     n one too if the set leaves it null)
    aoa      wrap(b_i - azimuth_i)               = beta_i + e

Geometry is the estimator's own: ECEF slant ranges and the azimuth of the chord at the receiver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from heimdall.calibrate.references import Reference
from heimdall.errors import InvalidInput
from heimdall.geo import SPEED_OF_LIGHT_M_S, bearing_deg, geodetic_to_ecef
from heimdall.locate.likelihood import fspl_db

TIMING, GAIN, BEARING = "timing_offset_s", "gain_offset_db", "bearing_offset_deg"
QUANTITIES = (TIMING, GAIN, BEARING)
MODALITIES_OF = {TIMING: ("toa", "tdoa"), GAIN: ("rss",), BEARING: ("aoa",)}


@dataclass
class Rows:
    """The measurements of one offset quantity over all references (columns by receiver id)."""

    quantity: str
    residual: list[float] = field(default_factory=list)  # measured minus predicted at the known position
    sigma: list[float] = field(default_factory=list)
    plus: list[str] = field(default_factory=list)  # receiver whose offset adds
    minus: list[str | None] = field(default_factory=list)  # receiver whose offset subtracts (TDoA reference)
    reference: list[int] = field(default_factory=list)
    nuisance: list[dict[int, float]] = field(default_factory=list)  # nuisance column -> coefficient
    nuisance_names: list[str] = field(default_factory=list)

    def add(self, k: int, residual: NDArray[np.float64], sigma: NDArray[np.float64], plus: Sequence[str],
            minus: Sequence[str | None] | None = None, nuisance: Sequence[dict[int, float]] | None = None) -> None:
        count = len(plus)
        self.residual.extend(float(v) for v in residual)
        self.sigma.extend(float(v) for v in sigma)
        self.plus.extend(plus)
        self.minus.extend(minus if minus is not None else [None] * count)
        self.reference.extend([k] * count)
        self.nuisance.extend(nuisance if nuisance is not None else [{} for _ in range(count)])

    def new_nuisance(self, name: str) -> int:
        self.nuisance_names.append(name)
        return len(self.nuisance_names) - 1

    def __len__(self) -> int:
        return len(self.residual)


def build_rows(references: Sequence[Reference]) -> dict[str, Rows]:
    rows = {q: Rows(q) for q in QUANTITIES}
    for k, ref in enumerate(references):
        rx = ref.ms.receivers
        rx_ecef = geodetic_to_ecef(rx.lat_deg, rx.lon_deg, rx.alt_m)
        distance_m = np.linalg.norm(rx_ecef - ref.tx_ecef_m(), axis=-1)
        _timing_rows(rows[TIMING], k, ref, distance_m)
        _gain_rows(rows[GAIN], k, ref, distance_m)
        _bearing_rows(rows[BEARING], k, ref)
    return rows


def _timing_rows(rows: Rows, k: int, ref: Reference, distance_m: NDArray[np.float64]) -> None:
    ids = ref.ms.receivers.ids
    toa, tdoa = ref.ms.toa, ref.ms.tdoa
    if toa.receiver.size:
        residual = toa.toa_s - distance_m[toa.receiver] / SPEED_OF_LIGHT_M_S
        # the emission time absorbs any constant: centring keeps absolute time stamps well conditioned
        residual = residual - residual.mean()
        column = rows.new_nuisance(f"references[{k}].emission_time_s")
        rows.add(k, residual, toa.sigma_s, [ids[i] for i in toa.receiver],
                 nuisance=[{column: 1.0} for _ in toa.receiver])
    if tdoa.receiver.size:
        predicted = (distance_m[tdoa.receiver] - distance_m[tdoa.reference]) / SPEED_OF_LIGHT_M_S
        rows.add(k, tdoa.tdoa_s - predicted, tdoa.sigma_s, [ids[i] for i in tdoa.receiver],
                 minus=[ids[j] for j in tdoa.reference])


def _gain_rows(rows: Rows, k: int, ref: Reference, distance_m: NDArray[np.float64]) -> None:
    rss = ref.ms.rss
    if not rss.receiver.size:
        return
    prop = ref.ms.propagation
    log_d = 10.0 * np.log10(distance_m[rss.receiver] / prop.reference_distance_m)
    eirp = ref.known_eirp_dbm
    if eirp is None:
        predicted = np.zeros(rss.receiver.size)
        power = rows.new_nuisance(f"references[{k}].transmit_power_dbm")
        columns = [{power: 1.0} for _ in rss.receiver]
    else:
        if ref.ms.frequency_hz is None:
            raise InvalidInput(f"reference {k}: a known eirp_dbm needs the set's frequency_hz",
                               field=f"references[{k}].measurement_set.frequency_hz")
        predicted = np.full(rss.receiver.size, eirp - fspl_db(prop.reference_distance_m, ref.ms.frequency_hz))
        columns = [{} for _ in rss.receiver]
    if prop.path_loss_exponent is None:
        exponent = rows.new_nuisance(f"references[{k}].path_loss_exponent")
        for entry, value in zip(columns, log_d, strict=True):
            entry[exponent] = -float(value)
    else:
        predicted = predicted - prop.path_loss_exponent * log_d
    rows.add(k, rss.power_dbm - predicted, rss.sigma_db, [ref.ms.receivers.ids[i] for i in rss.receiver],
             nuisance=columns)


def _bearing_rows(rows: Rows, k: int, ref: Reference) -> None:
    aoa = ref.ms.aoa
    if not aoa.receiver.size:
        return
    rx = ref.ms.receivers
    i = aoa.receiver
    predicted = bearing_deg(rx.lat_deg[i], rx.lon_deg[i], rx.alt_m[i], ref.lat_deg, ref.lon_deg, ref.tx_alt_m)
    rows.add(k, wrap_deg(aoa.bearing_deg - predicted), aoa.sigma_deg, [rx.ids[j] for j in i])


def wrap_deg(angle_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Into [-180, 180)."""
    return np.asarray((np.asarray(angle_deg) + 180.0) % 360.0 - 180.0, dtype=float)


def restrict(rows: Rows, allowed: set[str]) -> Rows:
    """The rows whose receivers (and TDoA references) are all in ``allowed``."""
    kept = Rows(rows.quantity, nuisance_names=list(rows.nuisance_names))
    for m in range(len(rows)):
        minus = rows.minus[m]
        if rows.plus[m] in allowed and (minus is None or minus in allowed):
            kept.residual.append(rows.residual[m])
            kept.sigma.append(rows.sigma[m])
            kept.plus.append(rows.plus[m])
            kept.minus.append(minus)
            kept.reference.append(rows.reference[m])
            kept.nuisance.append(rows.nuisance[m])
    return kept
