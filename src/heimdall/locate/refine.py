"""Local refinement of a candidate position (Gauss-Newton / Levenberg-Marquardt) and its Fisher covariance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from heimdall.locate.frame import LocalFrame
from heimdall.locate.likelihood import ResidualModel
from heimdall.locate.measurement_set import SearchArea

# Finite-difference step for the Fisher information: small against any geometry (receivers are
# kilometres away) yet far above the round-off of ECEF coordinates (~1e-9 m).
FD_STEP_M = 0.5
# Stand-in variance for a direction the measurements say nothing about.
UNINFORMED_VAR_M2 = 1.0e14
_STENCIL = np.array([[0.0, 0.0], [FD_STEP_M, 0.0], [-FD_STEP_M, 0.0], [0.0, FD_STEP_M], [0.0, -FD_STEP_M]])


@dataclass(frozen=True)
class Fit:
    lat_deg: float
    lon_deg: float
    cost: float  # sum of squared whitened residuals
    cov_m2: NDArray[np.float64]  # Fisher (Cramer-Rao at the estimate), local east/north
    residuals: NDArray[np.float64]
    jacobian: NDArray[np.float64]  # (M, 2) of the residuals by local east/north, per metre


def _area_bounds(frame: LocalFrame, area: SearchArea) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Bounding box, in the frame's tangent plane, of the search area's outline."""
    t = np.linspace(0.0, 1.0, 9)
    lat_t = area.lat_min + t * (area.lat_max - area.lat_min)
    lon_t = area.lon_min + t * (area.lon_max - area.lon_min)
    lat = np.concatenate([np.full(9, area.lat_min), np.full(9, area.lat_max), lat_t, lat_t])
    lon = np.concatenate([lon_t, lon_t, np.full(9, area.lon_min), np.full(9, area.lon_max)])
    en = frame.from_geodetic(lat, lon)
    return en.min(axis=0), en.max(axis=0)


def refine(model: ResidualModel, lat_deg: float, lon_deg: float, area: SearchArea, tx_alt_m: float) -> Fit:
    """Least-squares fit started at (lat, lon); the search area bounds the solution."""
    frame = LocalFrame(lat_deg, lon_deg, tx_alt_m)
    lower, upper = _area_bounds(frame, area)
    lower, upper = np.minimum(lower, -1.0), np.maximum(upper, 1.0)
    en = levenberg_marquardt(lambda points: model.residuals(frame.to_ecef(points)), lower, upper)
    lat_fit, lon_fit = frame.to_geodetic(en)
    # the tangent-plane box encloses the lat/lon box; the prior's support is the latter
    lat = float(np.clip(lat_fit, area.lat_min, area.lat_max))
    lon = float(np.clip(lon_fit, area.lon_min, area.lon_max))
    return fisher_fit(model, lat, lon, tx_alt_m)


def _residuals_and_jacobian(fun: Callable[[NDArray[np.float64]], NDArray[np.float64]], x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One batched call: residuals at x and their central-difference Jacobian."""
    r = fun(x + _STENCIL)
    return r[0], np.stack([r[1] - r[2], r[3] - r[4]], axis=-1) / (2.0 * FD_STEP_M)


def levenberg_marquardt(fun: Callable[[NDArray[np.float64]], NDArray[np.float64]], lower: NDArray[np.float64], upper: NDArray[np.float64],
                        max_iterations: int = 40) -> NDArray[np.float64]:
    """Minimise |fun(x)|^2 over x in R^2 from 0, steps projected onto the box [lower, upper].

    Hand-rolled rather than scipy's: with two unknowns, one vectorised call per iteration gives the
    residuals and the Jacobian, which makes a fit ~20x cheaper and keeps ``locate`` within budget.
    """
    x = np.zeros(2)
    r, jac = _residuals_and_jacobian(fun, x)
    cost, damping = float(r @ r), 1e-3
    for _ in range(max_iterations):
        info, grad = jac.T @ jac, jac.T @ r
        step = _damped_step(info, grad, damping, x, lower, upper)
        if step is None:
            break
        candidate = np.clip(x + step, lower, upper)
        r_new, jac_new = _residuals_and_jacobian(fun, candidate)
        cost_new = float(r_new @ r_new)
        if cost_new <= cost:
            moved = candidate - x
            # converged when the step is tiny against the position's own uncertainty
            converged = moved @ info @ moved < 1e-4 or cost - cost_new < 1e-6
            x, r, jac, cost = candidate, r_new, jac_new, cost_new
            damping = max(damping * 0.1, 1e-9)
            if converged:
                break
        else:
            damping *= 10.0
            if damping > 1e6:
                break
    return x


def _damped_step(info: NDArray[np.float64], grad: NDArray[np.float64], damping: float, x: NDArray[np.float64], lower: NDArray[np.float64],
                 upper: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """LM step; coordinates held at a bound they push against are frozen (active set).

    Without the freeze a clipped step that cannot improve only raises the damping, which costs a
    dozen wasted iterations whenever the optimum lies on the search area's edge (common for RSS).
    """
    scaled = info * (1.0 + damping * np.eye(2)) + 1e-12 * np.eye(2)
    free = np.ones(2, dtype=bool)
    for _ in range(2):
        step = np.zeros(2)
        if free.all():
            det = scaled[0, 0] * scaled[1, 1] - scaled[0, 1] ** 2
            if not det > 0.0:
                return None
            step = -np.array([scaled[1, 1] * grad[0] - scaled[0, 1] * grad[1],
                              scaled[0, 0] * grad[1] - scaled[0, 1] * grad[0]]) / det
        elif free.any():
            k = int(np.flatnonzero(free)[0])
            step[k] = -grad[k] / scaled[k, k]
        else:
            return None
        blocked = ((x <= lower) & (step < 0)) | ((x >= upper) & (step > 0))
        if not (blocked & free).any():
            return step
        free &= ~blocked
    return None


def fisher_fit(model: ResidualModel, lat_deg: float, lon_deg: float, tx_alt_m: float) -> Fit:
    """Residuals and Fisher covariance at a position, in local east/north there."""
    frame = LocalFrame(lat_deg, lon_deg, tx_alt_m)
    r, jac = _residuals_and_jacobian(lambda points: model.residuals(frame.to_ecef(points)), np.zeros(2))
    return Fit(lat_deg, lon_deg, float(r @ r), covariance_from_jacobian(jac), r, jac)


def covariance_from_jacobian(jac: NDArray[np.float64]) -> NDArray[np.float64]:
    info = jac.T @ jac
    eigval, eigvec = np.linalg.eigh(info)
    inv = np.where(eigval > 1.0 / UNINFORMED_VAR_M2, 1.0 / np.maximum(eigval, 1e-300), UNINFORMED_VAR_M2)
    return (eigvec * inv) @ eigvec.T
