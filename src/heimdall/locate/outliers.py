"""Outlier rejection whose cost does not grow with the number of receivers squared.

A fit fails the chi-square test of its cost at false-alarm rate ``OUTLIER_ALPHA``. Then, for every
used receiver at once, the cost drop that removing its measurements would bring is computed on the
model linearised at the fit: with ``U`` = [position Jacobian, nuisance columns] (whitened) and ``r``
the residuals, removing receiver g's rows lowers the cost by

    gain_g = r_g . r_g + b_g^T (U^T U - U_g^T U_g)^+ b_g,    b_g = U_g^T r_g

(the deletion formula of least squares, exact for a linear model, which is what lets a large
residual that the fit has half absorbed still point at its receiver). That is O(measurements) for
all receivers. The ``CANDIDATES`` receivers whose removal promises the most consistent fit are
refitted exactly (Levenberg-Marquardt from the current estimate); the best of those is rejected
when its exact cost drop is itself significant, and the next round starts from that refit. At most
``MAX_REJECTED`` receivers are rejected: a set with more inconsistent receivers than that is not an
outlier problem, and the estimate is returned with what was found. The estimator then solves the
cleaned set again from its global grid (the outlier may have pulled the first solution into the
wrong basin).

Work per localization: at most ``CANDIDATES * MAX_REJECTED`` refits and 2 global solves, whatever
the number of receivers. (The former leave-one-out loop refitted every receiver after every
rejection and solved globally again each time: 7,266 refits for 120 receivers of random TDoAs.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.stats import chi2

from heimdall.locate.budget import Budget
from heimdall.locate.frame import LocalFrame
from heimdall.locate.likelihood import ResidualModel
from heimdall.locate.measurement_set import (
    MODALITIES,
    MeasurementSet,
    SearchArea,
    measurement_count,
    select_receivers,
    unknown_count,
)
from heimdall.locate.refine import Fit, refine

OUTLIER_ALPHA = 1.0e-3  # false-alarm rate of the consistency test on clean data
CANDIDATES = 3  # exact refits per rejection round
MAX_REJECTED = 8  # receivers rejected at most per localization


def degrees_of_freedom(ms: MeasurementSet) -> int:
    return measurement_count(ms) - unknown_count(ms)


def consistent(cost: float, dof: int) -> bool:
    return dof < 1 or bool(chi2.sf(cost, dof) > OUTLIER_ALPHA)


def reduced_dof(model: ResidualModel) -> NDArray[np.intp]:
    """Degrees of freedom left after removing each receiver (R,); < 1 where nothing testable is left."""
    ms = model.ms
    rows, owners = model.incidence()
    row_modality = model.row_modalities()[rows]
    count = len(ms.receivers)
    left = {name: ms.counts()[name] - np.bincount(owners[row_modality == k], minlength=count)
            for k, name in enumerate(MODALITIES)}
    measurements = sum(left.values())
    rss_nuisances = (ms.eirp_dbm is None) + (ms.propagation.path_loss_exponent is None)
    unknowns = 2 + (left["toa"] > 0) + (left["rss"] > 0) * rss_nuisances
    return np.where(measurements > 0, measurements - unknowns, 0).astype(np.intp)


def removal_gains(model: ResidualModel, fit: Fit) -> NDArray[np.float64]:
    """Linearised cost drop (R,) from removing each receiver's measurements, all receivers at once."""
    frame = LocalFrame(fit.lat_deg, fit.lon_deg, model.ms.tx_alt_m)
    design = np.concatenate([fit.jacobian, model.nuisance_columns(frame.to_ecef(np.zeros(2)))], axis=1)
    norms = np.linalg.norm(design, axis=0)
    design = design[:, norms > 0] / norms[norms > 0]  # the hat matrix does not care; conditioning does
    rows, owners = model.incidence()
    count = len(model.ms.receivers)
    r, u = fit.residuals[rows], design[rows]
    own_info = np.zeros((count, design.shape[1], design.shape[1]))
    np.add.at(own_info, owners, u[:, :, None] * u[:, None, :])
    projected = np.zeros((count, design.shape[1]))
    np.add.at(projected, owners, u * r[:, None])
    left_info = design.T @ design - own_info
    solved = np.einsum("gij,gj->gi", np.linalg.pinv(left_info, hermitian=True), projected)
    own_cost = np.bincount(owners, weights=r * r, minlength=count).astype(np.float64)
    gains: NDArray[np.float64] = own_cost + np.einsum("gi,gi->g", projected, solved)
    return gains


def removal_candidates(model: ResidualModel, fit: Fit, count: int = CANDIDATES) -> list[int]:
    """The ``count`` receivers whose removal promises the most consistent fit (linearised)."""
    dof_left = reduced_dof(model)
    gains = removal_gains(model, fit)
    eligible = np.flatnonzero((dof_left >= 1) & (gains > 0))
    if not eligible.size:
        return []
    cost_left = np.maximum(fit.cost - gains[eligible], 0.0)
    score = np.asarray(chi2.logsf(cost_left, dof_left[eligible]), dtype=np.float64)
    order = np.lexsort((-gains[eligible], -score))
    return [int(g) for g in eligible[order[:count]]]


def best_removal(model: ResidualModel, fit: Fit, area: SearchArea, budget: Budget
                 ) -> tuple[int, ResidualModel, Fit] | None:
    """Exact refits of the candidates; the most consistent one, if its cost drop is significant:
    (receiver, the model without it, its fit)."""
    ms = model.ms
    dof = degrees_of_freedom(ms)
    best: tuple[float, int, ResidualModel, Fit] | None = None
    for receiver in removal_candidates(model, fit):
        budget.spend("refits")
        reduced = ResidualModel(select_receivers(ms, {receiver}), budget)
        reduced_dof_ = degrees_of_freedom(reduced.ms)
        refit = refine(reduced, fit.lat_deg, fit.lon_deg, area, ms.tx_alt_m)
        if fit.cost - refit.cost < chi2.isf(OUTLIER_ALPHA, dof - reduced_dof_):
            continue
        log_p = float(chi2.logsf(refit.cost, reduced_dof_))
        if best is None or log_p > best[0]:
            best = (log_p, receiver, reduced, refit)
    return None if best is None else best[1:]


def reject_outliers(model: ResidualModel, fit: Fit, area: SearchArea, budget: Budget
                    ) -> tuple[MeasurementSet, set[int]]:
    """Receivers rejected one at a time while the fit is inconsistent and a rejection is significant;
    returns the set without them and their indices. Each round continues from the refit without
    the rejected receiver; the caller solves the cleaned set again from its global grid."""
    rejected: set[int] = set()
    while len(rejected) < MAX_REJECTED and not consistent(fit.cost, degrees_of_freedom(model.ms)):
        budget.enter("outlier rejection")
        found = best_removal(model, fit, area, budget)
        if found is None:
            break
        receiver, model, fit = found
        rejected.add(receiver)
    return model.ms, rejected
