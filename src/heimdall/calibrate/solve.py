"""Generalised least squares of the offsets over all references, with an honest account of what the
data identify.

The whitened design ``[offsets | nuisances]`` is decomposed (SVD, columns equilibrated). Its null
space, seen from the offsets, says what is identifiable:

- empty: the offsets are absolute (bearings; powers when some EIRP is known);
- the common offset only: they are relative, and a gauge is chosen (zero mean over the receivers,
  or one receiver pinned at zero); the reported covariance is the one *in that gauge*;
- anything else: the data cannot separate them, and the fit is refused with the receivers involved.

The chi-square of the residuals checks the stated sigmas; scatter beyond them (chi2 / dof > 1)
inflates the covariance by that ratio (Birge), never deflates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from heimdall.calibrate.design import Rows
from heimdall.calibrate.model import ZERO_MEAN, OffsetCalibration
from heimdall.errors import InsufficientData, InvalidInput

MIN_REFERENCES_PER_RECEIVER = 2  # one reference determines an offset but cannot check it
RANK_TOLERANCE = 1.0e-9  # singular values below this fraction of the largest are zero
NULL_TOLERANCE = 1.0e-6


@dataclass(frozen=True, eq=False)
class System:
    """Rows of one quantity as arrays: whitened design over (offsets, nuisances) and data."""

    receivers: tuple[str, ...]
    design: NDArray[np.float64]  # (M, R + K), whitened
    data: NDArray[np.float64]  # (M,), whitened
    involved: NDArray[np.bool_]  # (M, R): row m involves receiver r
    reference: NDArray[np.int64]  # (M,)
    nuisance_names: tuple[str, ...]


def fit_offsets(rows: Rows, gauge: str = ZERO_MEAN, order: Sequence[str] = ()) -> OffsetCalibration:
    """Offsets of one quantity from its rows; InvalidInput / InsufficientData when not identifiable.
    Receivers are reported in ``order`` (those not in it after, by first appearance)."""
    system = _system(rows, order)
    _check_coverage(rows.quantity, system)
    scale = np.linalg.norm(system.design, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    u, s, vt = _svd(system.design / scale)
    rank = int(np.sum(s > RANK_TOLERANCE * s[0]))
    relative = _identifiability(rows.quantity, system, (vt[rank:] / scale).T)
    dof = system.data.size - rank
    if dof < 1:
        raise InsufficientData(
            f"{rows.quantity}: {system.data.size} measurement(s) for {rank} unknowns leave nothing to check the "
            "fit against; add references", details={"measurements": system.data.size, "unknowns": rank})
    inverse_s = 1.0 / s[:rank]
    solution = (vt[:rank].T * inverse_s) @ (u[:, :rank].T @ system.data) / scale
    cov = ((vt[:rank].T * inverse_s**2) @ vt[:rank]) / np.outer(scale, scale)
    n_rx = len(system.receivers)
    offset, offset_cov = solution[:n_rx], cov[:n_rx, :n_rx]
    gauge_used = _gauge_name(gauge, system.receivers) if relative else None
    if gauge_used is not None:
        offset, offset_cov = _apply_gauge(offset, offset_cov, system.receivers, gauge_used)
    residual = system.data - system.design @ solution
    chi2 = float(residual @ residual)
    birge = max(1.0, chi2 / dof)
    return OffsetCalibration(
        quantity=rows.quantity, receivers=system.receivers, offset=offset, covariance=birge * offset_cov,
        gauge=gauge_used, chi2=chi2, dof=dof, scale=float(np.sqrt(birge)),
        residual_rms=_residual_rms(residual, system.involved),
        measurements=system.involved.sum(axis=0).astype(np.int64),
        references=np.array([np.unique(system.reference[system.involved[:, r]]).size for r in range(n_rx)]),
    )


def _svd(design: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Thin SVD with every right singular vector (the null space included), without the M x M factor
    a full SVD of many rows would build: fewer rows than columns are padded with zero rows."""
    rows, columns = design.shape
    if rows < columns:
        design = np.vstack([design, np.zeros((columns - rows, columns))])
    u, s, vt = np.linalg.svd(design, full_matrices=False)
    return u[:rows], s, vt


def _system(rows: Rows, order: Sequence[str]) -> System:
    present = set(rows.plus) | {m for m in rows.minus if m is not None}
    receivers = tuple(dict.fromkeys([*(r for r in order if r in present), *rows.plus,
                                     *(m for m in rows.minus if m is not None)]))
    column = {rid: i for i, rid in enumerate(receivers)}
    n_rx, n_rows = len(receivers), len(rows)
    design = np.zeros((n_rows, n_rx + len(rows.nuisance_names)))
    involved = np.zeros((n_rows, n_rx), dtype=bool)
    for m, (plus, minus, nuisance) in enumerate(zip(rows.plus, rows.minus, rows.nuisance, strict=True)):
        design[m, column[plus]] += 1.0
        involved[m, column[plus]] = True
        if minus is not None:
            design[m, column[minus]] -= 1.0
            involved[m, column[minus]] = True
        for c, value in nuisance.items():
            design[m, n_rx + c] = value
    weight = 1.0 / np.asarray(rows.sigma)
    return System(receivers, design * weight[:, None], np.asarray(rows.residual) * weight, involved,
                  np.asarray(rows.reference, dtype=np.int64), tuple(rows.nuisance_names))


def _check_coverage(quantity: str, system: System) -> None:
    counts = [np.unique(system.reference[system.involved[:, r]]).size for r in range(len(system.receivers))]
    few = [rid for rid, n in zip(system.receivers, counts, strict=True) if n < MIN_REFERENCES_PER_RECEIVER]
    if few:
        raise InsufficientData(
            f"{quantity}: {', '.join(few)} heard in fewer than {MIN_REFERENCES_PER_RECEIVER} references; "
            "add references or leave these receivers out", details={"receivers": few})


def _identifiability(quantity: str, system: System, null: NDArray[np.float64]) -> bool:
    """True: relative (only a common offset is unobservable); False: absolute; else InvalidInput."""
    n_rx = len(system.receivers)
    if null.shape[1] == 0:
        return False
    basis, _ = np.linalg.qr(null)
    u, s, _ = np.linalg.svd(basis[:n_rx], full_matrices=False)
    unobservable = u[:, s > NULL_TOLERANCE]
    if unobservable.shape[1] == 0:
        return False
    common = np.ones(n_rx) / np.sqrt(n_rx)
    if unobservable.shape[1] == 1 and abs(float(unobservable[:, 0] @ common)) > 1.0 - NULL_TOLERANCE:
        if n_rx < 2:
            raise InsufficientData(f"{quantity}: a relative offset needs at least two receivers",
                                   details={"receivers": list(system.receivers)})
        return True
    raise InvalidInput(_inseparable_reason(quantity, system, unobservable), field="references",
                       details={"reason": "not_separable", "quantity": quantity})


def _inseparable_reason(quantity: str, system: System, unobservable: NDArray[np.float64]) -> str:
    groups = _groups(system)
    if len(groups) > 1:
        listed = "; ".join("[" + ", ".join(ids) + "]" + (" (absolute)" if anchored else "")
                           for ids, anchored in groups)
        return (f"{quantity}: no reference ties these groups of receivers together, so their offsets cannot "
                f"be separated: {listed}")
    common = np.ones(len(system.receivers)) / np.sqrt(len(system.receivers))
    rest = unobservable - np.outer(common, common @ unobservable)
    ids = [rid for rid, row in zip(system.receivers, rest, strict=True) if np.max(np.abs(row)) > 1e-3]
    return (f"{quantity}: the references cannot separate the offsets of {', '.join(ids)} from their own "
            "nuisances (e.g. a path-loss exponent fitted per reference); add references or state the exponent")


def _groups(system: System) -> list[tuple[list[str], bool]]:
    """Receivers linked by a shared row or nuisance (connected components), and whether each group
    holds a measurement of an absolute offset (no nuisance, one receiver: a bearing, a known power)."""
    n_rx = len(system.receivers)
    parent = list(range(n_rx + 1))  # n_rx: the absolute anchor

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    nuisance = system.design[:, n_rx:] != 0
    for m in range(system.data.size):
        members = [int(r) for r in np.flatnonzero(system.involved[m])]
        if system.involved[m].sum() == 1 and not nuisance[m].any():
            members.append(n_rx)
        for c in np.flatnonzero(nuisance[m]):
            members.extend(int(r) for r in np.flatnonzero(system.involved[nuisance[:, c]].any(axis=0)))
        for other in members[1:]:
            parent[find(other)] = find(members[0])
    roots: dict[int, list[str]] = {}
    for r, rid in enumerate(system.receivers):
        roots.setdefault(find(r), []).append(rid)
    return [(ids, root == find(n_rx)) for root, ids in roots.items()]


def _gauge_name(gauge: str, receivers: tuple[str, ...]) -> str:
    if gauge != ZERO_MEAN and gauge not in receivers:
        raise InvalidInput(f"gauge must be {ZERO_MEAN!r} or a calibrated receiver, not {gauge!r}", field="gauge")
    return gauge


def _apply_gauge(offset: NDArray[np.float64], cov: NDArray[np.float64], receivers: tuple[str, ...], gauge: str
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Move the solution along the common offset onto the gauge: zero mean, or one receiver at zero."""
    n = len(receivers)
    weights = np.full(n, 1.0 / n) if gauge == ZERO_MEAN else np.eye(n)[receivers.index(gauge)]
    projector = np.eye(n) - np.outer(np.ones(n), weights)
    return projector @ offset, projector @ cov @ projector.T


def _residual_rms(residual: NDArray[np.float64], involved: NDArray[np.bool_]) -> NDArray[np.float64]:
    counts = np.maximum(involved.sum(axis=0), 1)
    return np.asarray(np.sqrt((residual[:, None] ** 2 * involved).sum(axis=0) / counts), dtype=float)
