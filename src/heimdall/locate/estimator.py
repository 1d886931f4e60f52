"""The classical estimator: grid posterior -> best modes -> least-squares refinement -> calibrated region.

1. A coarse lat/lon grid over the search area scores a tempered likelihood (sigmas widened to the
   grid's resolution), whose best local maxima seed local fits, so hyperbola branches and mirror
   solutions are all tried.
2. Each seed is refined by Levenberg-Marquardt, bounded by the search area, on the exact (ECEF) model.
3. Around the best fit, a local grid aligned with the Fisher covariance grows until it holds the
   whole mode; its posterior mean is the estimate, its covariance and mass quantiles give the
   ellipses, which keeps them honest where the Fisher information lies (RSS, banana shapes).
4. Outliers: a chi-square test of the fit; on failure the receiver whose removal best restores
   consistency is dropped, repeatedly while the drop is significant (``heimdall.locate.outliers``:
   linearised diagnostics for every receiver, exact refits for a few, a bounded number of rounds).

Every stage runs under a ``Budget`` (deadline, cancellation, work counters; ``heimdall.locate.budget``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from heimdall.locate.bounds import gdop_at
from heimdall.locate.budget import Budget, current_budget
from heimdall.locate.frame import LocalFrame
from heimdall.locate.grid import GlobalGrid, default_search_area, global_grid, grid_modes, local_posterior
from heimdall.locate.likelihood import ResidualModel
from heimdall.locate.measurement_set import MODALITIES, MeasurementSet, SearchArea
from heimdall.locate.outliers import reject_outliers
from heimdall.locate.refine import Fit, fisher_fit, refine
from heimdall.locate.result import CONFIDENCES, LocationResult, Mode, Posterior, chi2_2dof_scale

MAX_SEEDS = 4
GRID_CELLS = 2304  # ~48 x 48: seeds for the fits and the heat map; the fits do the rest
SEED_DEPTH = 30.0  # seeds further below the best tempered log-likelihood are not worth a fit
MIN_MODE_WEIGHT = 1.0e-3
RADIUS_TOLERANCE = 0.03  # below this the grid quantile is discretisation noise


@dataclass(frozen=True)
class Solution:
    model: ResidualModel
    area: SearchArea
    fits: tuple[Fit, ...]  # distinct local optima, best first
    grid: GlobalGrid

    @property
    def best(self) -> Fit:
        return self.fits[0]


def locate(ms: MeasurementSet, *, with_posterior: bool = True, budget: Budget | None = None) -> LocationResult:
    """Locate the transmitter of a validated measurement set with the classical estimator.

    ``budget`` (default: the ambient one, else unlimited) bounds its time and can cancel it:
    ``BudgetExceeded`` / ``Cancelled`` from whichever stage it is in.
    """
    start = time.perf_counter()
    budget = budget if budget is not None else current_budget()
    solution, dropped = _solve_rejecting_outliers(ms, budget)
    budget.enter("heat map")
    heat_map = _heat_map(solution) if with_posterior else None
    clean = solution.model.ms
    budget.enter("posterior")
    lat, lon, cov, radii = _posterior_estimate(solution)
    counts = clean.counts()
    used = [name for name in MODALITIES if counts[name]]
    return LocationResult(
        lat=lat, lon=lon, alt_m=ms.transmitter_alt_m,
        covariance_enu_m2=cov, ellipse_radii=radii, method="classical:" + "+".join(used), used=counts,
        outliers=tuple(ms.receivers.ids[i] for i in sorted(dropped)),
        gdop=_finite_or_none(float(gdop_at(clean, lat, lon))),
        elapsed_ms=1000.0 * (time.perf_counter() - start),
        modes=_modes(solution.fits), posterior=heat_map,
    )


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _posterior_estimate(solution: Solution) -> tuple[float, float, np.ndarray, tuple[float, ...]]:
    """Mean, covariance and credible-ellipse radii of the best mode's posterior.

    The posterior mean, not the likelihood peak: the two agree where the posterior is Gaussian,
    and where it is not (RSS) the mean has the smaller errors and is what the covariance is about.
    Each ellipse's Mahalanobis radius is the one that holds its share of the posterior mass, so
    heavy-tailed posteriors get a tighter 68 % and a wider 95 % ellipse than a Gaussian would.
    """
    best = solution.best
    frame = LocalFrame(best.lat_deg, best.lon_deg, solution.model.ms.tx_alt_m)
    points, weights, spacing_m = local_posterior(solution.model, frame, best.cov_m2, solution.area)
    mean = weights @ points
    centred = points - mean
    cov = np.einsum("n,ni,nj->ij", weights, centred, centred)
    # a posterior narrower than the grid can resolve keeps at least a cell's own spread
    eigval, eigvec = np.linalg.eigh(0.5 * (cov + cov.T))
    cov = (eigvec * np.maximum(eigval, spacing_m**2 / 12.0)) @ eigvec.T
    lat, lon = frame.to_geodetic(mean)
    # the frame at the mean is rotated from the one at the peak by a negligible angle (~1e-5 rad per km)
    return float(lat), float(lon), cov, _credible_radii(centred, weights, cov)


def _credible_radii(centred: np.ndarray, weights: np.ndarray, cov: np.ndarray) -> tuple[float, ...]:
    distance2 = np.einsum("ni,ij,nj->n", centred, np.linalg.pinv(cov), centred)
    order = np.argsort(distance2)
    cumulative = np.cumsum(weights[order]) - 0.5 * weights[order]
    radii = []
    for confidence in CONFIDENCES:
        gaussian = chi2_2dof_scale(confidence)
        radius = math.sqrt(float(np.interp(confidence, cumulative, distance2[order])))
        # a grid too coarse to resolve the quantile (a near-Gaussian mode) keeps the Gaussian value
        radii.append(radius if abs(radius / gaussian - 1.0) > RADIUS_TOLERANCE else gaussian)
    return tuple(radii)


def solve(ms: MeasurementSet, budget: Budget | None = None) -> Solution:
    """Global grid, seeds, refinement: every distinct local optimum, best first."""
    budget = budget if budget is not None else current_budget()
    budget.enter("grid search")
    budget.spend("solves")
    area = ms.search_area or default_search_area(ms)
    model = ResidualModel(ms, budget)
    grid = global_grid(area, ms.tx_alt_m, GRID_CELLS)
    log_area = np.log(grid.cell_area_m2 / grid.cell_area_m2.max())
    tempered = model.log_likelihood(grid.ecef_m, floor_m=grid.cell_m) + log_area
    seeds = grid_modes(tempered, MAX_SEEDS, SEED_DEPTH)
    budget.enter("refinement")
    fits: list[Fit] = []
    for i, j in seeds:
        if not any(_explained_by(fit, grid.lat_deg[i], grid.lon_deg[j]) for fit in fits):
            budget.spend("fits")
            fits.append(refine(model, grid.lat_deg[i], grid.lon_deg[j], area, ms.tx_alt_m))
    return Solution(model, area, _distinct(fits), grid)


def _heat_map(solution: Solution) -> Posterior:
    grid = solution.grid
    log_density = solution.model.log_likelihood(grid.ecef_m) + np.log(grid.cell_area_m2 / grid.cell_area_m2.max())
    return Posterior(grid.lat_deg, grid.lon_deg, log_density - log_density.max())


def _explained_by(fit: Fit, lat_deg: float, lon_deg: float) -> bool:
    """A seed inside a refined mode's 3-sigma region would only converge to that mode again."""
    offset = LocalFrame(fit.lat_deg, fit.lon_deg).from_geodetic(lat_deg, lon_deg)
    return bool(offset @ np.linalg.solve(fit.cov_m2, offset) < 9.0)


def _distinct(fits: list[Fit]) -> tuple[Fit, ...]:
    kept: list[Fit] = []
    for fit in sorted(fits, key=lambda f: f.cost):
        if all(not _same_mode(fit, other) for other in kept):
            kept.append(fit)
    return tuple(kept)


def _same_mode(a: Fit, b: Fit) -> bool:
    frame = LocalFrame(b.lat_deg, b.lon_deg)
    offset = frame.from_geodetic(a.lat_deg, a.lon_deg)
    scale2 = max(float(np.trace(b.cov_m2)), 1.0)
    return bool(offset @ offset < max(scale2, 1.0) * 1.0e-2 or offset @ offset < 1.0)


def _modes(fits: tuple[Fit, ...]) -> tuple[Mode, ...]:
    """Laplace approximation of each mode's posterior mass."""
    log_mass = np.array([-0.5 * f.cost + 0.5 * math.log(max(np.linalg.det(f.cov_m2), 1e-300)) for f in fits])
    weights = np.exp(log_mass - log_mass.max())
    weights /= weights.sum()
    keep = [k for k, w in enumerate(weights) if k == 0 or w >= MIN_MODE_WEIGHT]  # the best fit always
    total = weights[keep].sum()
    return tuple(Mode(fits[k].lat_deg, fits[k].lon_deg, float(weights[k] / total)) for k in keep)


def _solve_rejecting_outliers(ms: MeasurementSet, budget: Budget) -> tuple[Solution, set[int]]:
    solution = solve(ms, budget)
    cleaned, rejected = reject_outliers(solution.model, solution.best, solution.area, budget)
    return (solve(cleaned, budget) if rejected else solution), rejected


def fit_at(ms: MeasurementSet, lat_deg: float, lon_deg: float) -> Fit:
    """Residuals and Fisher covariance of a measurement set at a given position (diagnostics, tests)."""
    return fisher_fit(ResidualModel(ms), lat_deg, lon_deg, ms.tx_alt_m)


def truth_offset_enu_m(lat_deg: float, lon_deg: float, truth_lat_deg: float, truth_lon_deg: float,
                       tx_alt_m: float = 0.0) -> np.ndarray:
    """East/north offset of a true position from an estimate, in the estimate's local frame."""
    return LocalFrame(lat_deg, lon_deg, tx_alt_m).from_geodetic(truth_lat_deg, truth_lon_deg)
