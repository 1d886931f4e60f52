"""Seeded emitters moving along routes, and the fixes a monitor would make of them (for tests and the
tracking benchmark).

A route is a polyline driven at constant speed (legs of a few kilometres joined by turns); transmissions
come at random (exponential gaps); each fix is the truth plus a Gaussian error drawn from that fix's own
covariance, an ellipse of random size, shape and orientation, so a fix's stated uncertainty is exact and
the tracker alone decides how calibrated the track is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from heimdall.errors import InvalidInput
from heimdall.geo import enu_to_geodetic
from heimdall.tracking.fixes import MEAN_EARTH_RADIUS_M, Fix


@dataclass(frozen=True)
class RouteConfig:
    legs: int = 8
    leg_m: tuple[float, float] = (2_000.0, 8_000.0)
    max_turn_deg: float = 120.0
    speed_m_s: float = 15.0
    mean_interval_s: float = 60.0
    min_interval_s: float = 5.0
    fix_sigma_m: tuple[float, float] = (150.0, 1_500.0)  # 1-sigma of the fixes' major axes, log-uniform
    max_aspect: float = 4.0
    duration_s: float | None = None  # stop transmitting then (else at the end of the route); needed at speed 0


@dataclass(frozen=True, eq=False)
class SimulatedFixes:
    fixes: list[Fix]
    truth_lat: NDArray[np.float64]  # the emitter's true position at each fix's time
    truth_lon: NDArray[np.float64]


def random_route(rng: np.random.Generator, config: RouteConfig, start_m: tuple[float, float] = (0.0, 0.0)) -> NDArray[np.float64]:
    """Waypoints (east, north) in metres: ``legs`` straight legs joined by turns of up to ``max_turn_deg``."""
    heading = rng.uniform(0.0, 2 * math.pi)
    points = [np.array(start_m, dtype=float)]
    for _ in range(config.legs):
        length = rng.uniform(*config.leg_m)
        points.append(points[-1] + length * np.array([math.sin(heading), math.cos(heading)]))
        heading += math.radians(rng.uniform(-config.max_turn_deg, config.max_turn_deg))
    return np.array(points)


def positions_along(waypoints_m: NDArray[np.float64], speed_m_s: float, times_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Where an emitter driving the route from its first waypoint at t = 0 is at each time (stops at the end)."""
    legs = np.diff(waypoints_m, axis=0)
    distance = np.concatenate([[0.0], np.cumsum(np.hypot(legs[:, 0], legs[:, 1]))])
    travelled = np.clip(speed_m_s * times_s, 0.0, distance[-1])
    east = np.interp(travelled, distance, waypoints_m[:, 0])
    north = np.interp(travelled, distance, waypoints_m[:, 1])
    return np.column_stack([east, north])


def fix_times(rng: np.random.Generator, config: RouteConfig, duration_s: float) -> NDArray[np.float64]:
    gaps = np.maximum(rng.exponential(config.mean_interval_s, int(3 * duration_s / config.mean_interval_s) + 10),
                      config.min_interval_s)
    times = np.asarray(np.cumsum(gaps) - gaps[0], dtype=np.float64)
    return times[times <= duration_s]


def random_covariances(rng: np.random.Generator, count: int, config: RouteConfig) -> NDArray[np.float64]:
    """``count`` 2x2 east/north covariances: log-uniform size, random aspect and orientation."""
    major = np.exp(rng.uniform(math.log(config.fix_sigma_m[0]), math.log(config.fix_sigma_m[1]), count))
    minor = major / rng.uniform(1.0, config.max_aspect, count)
    angle = rng.uniform(0.0, math.pi, count)  # of the major axis, from north
    axis = np.stack([np.sin(angle), np.cos(angle)], axis=1)
    across = np.stack([np.cos(angle), -np.sin(angle)], axis=1)
    return np.asarray(major[:, None, None] ** 2 * axis[:, :, None] * axis[:, None, :]
                      + minor[:, None, None] ** 2 * across[:, :, None] * across[:, None, :], dtype=np.float64)


def simulate_fixes(rng: np.random.Generator, config: RouteConfig, origin_lat: float, origin_lon: float,
                   start_time_s: float = 1.8e9, channel: str = "", id_prefix: str = "fix",
                   start_m: tuple[float, float] = (0.0, 0.0)) -> SimulatedFixes:
    """One emitter on a random route around (origin_lat, origin_lon) and its fixes."""
    route = random_route(rng, config, start_m)
    legs = np.diff(route, axis=0)
    length_m = float(np.sum(np.hypot(legs[:, 0], legs[:, 1])))
    duration_s = length_m / config.speed_m_s if config.speed_m_s > 0 else math.inf
    duration_s = min(duration_s, config.duration_s if config.duration_s is not None else math.inf)
    if not math.isfinite(duration_s):
        raise InvalidInput("a stationary emitter needs duration_s", field="duration_s")
    times = fix_times(rng, config, duration_s)
    truth = positions_along(route, config.speed_m_s, times)
    covariances = random_covariances(rng, times.size, config)
    errors = np.einsum("nij,nj->ni", np.linalg.cholesky(covariances), rng.normal(size=(times.size, 2)))
    truth_lat, truth_lon = _on_surface(truth, origin_lat, origin_lon)
    fixes = []
    for i, (lat, lon) in enumerate(zip(truth_lat, truth_lon, strict=True)):
        fix_lat, fix_lon = _on_surface(errors[i][None, :], float(lat), float(lon))
        fixes.append(Fix(f"{id_prefix}-{i:05d}", start_time_s + float(times[i]), float(fix_lat[0]),
                         float(fix_lon[0]), covariances[i], channel))
    return SimulatedFixes(fixes, truth_lat, truth_lon)


def _on_surface(east_north_m: NDArray[np.float64], lat0: float, lon0: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    drop = -np.sum(east_north_m**2, axis=1) / (2 * MEAN_EARTH_RADIUS_M)
    lat, lon, _ = enu_to_geodetic(np.column_stack([east_north_m, drop]), lat0, lon0, 0.0)
    return lat, lon
