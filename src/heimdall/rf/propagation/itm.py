"""Longley-Rice / ITM point-to-point loss over a terrain profile, through the MIT-licensed ``itmlogic``.

Cost: ``itmlogic`` is pure Python, ~0.15 ms per path for a 50-point profile and ~0.7 ms for 500
points (2-core dev machine), dominated by the horizon search over the profile. Datasets therefore
never call it per sample: ``ItmLossGrid`` evaluates each receiver's loss once on a grid of
transmitter positions (e.g. 33 x 33 x 7 receivers ~ 2-5 s) and interpolates bilinearly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heimdall.errors import InvalidInput
from heimdall.geo import enu_to_geodetic
from heimdall.terrain.profile import path_profile
from heimdall.terrain.provider import ElevationProvider

_DB_PER_NEPER = 8.685890
_GMA = 157e-9  # the ITM's reference earth curvature (1/m)
MIN_ANTENNA_HEIGHT_M = 1.0  # ITM is only defined from ~0.5 m above ground


@dataclass(frozen=True)
class ItmParameters:
    """Ground and climate of the ITM; defaults are a temperate continental inland path."""

    climate: int = 5  # 1 equatorial ... 5 continental temperate ... 7 maritime temperate over sea
    refractivity_n: float = 314.0
    permittivity: float = 15.0
    conductivity_s_m: float = 0.005
    vertical_polarization: bool = True
    reliability: float = 0.5  # time/location quantiles: 0.5 gives the median loss
    confidence: float = 0.5


def _quantile_deviate(fraction: float) -> float:
    from itmlogic.misc.qerfi import qerfi

    return float(qerfi([fraction])[0])


def itm_path_loss_db(
    elevations_m: ArrayLike,
    step_m: float,
    frequency_hz: float,
    tx_height_m: float,
    rx_height_m: float,
    parameters: ItmParameters = ItmParameters(),
) -> float:
    """Basic transmission loss (dB) between antennas ``tx_height_m``/``rx_height_m`` above the ends of
    a profile of ground elevations spaced ``step_m`` apart (first point at the transmitter)."""
    from itmlogic.preparatory_subroutines.qlrpfl import qlrpfl
    from itmlogic.statistics.avar import avar

    profile = [float(v) for v in np.asarray(elevations_m, dtype=float)]
    if len(profile) < 3 or step_m <= 0:
        raise InvalidInput("an ITM profile needs at least 3 points and a positive step", field="profile")
    if not 20e6 <= frequency_hz <= 20e9:
        raise InvalidInput("ITM is defined from 20 MHz to 20 GHz", field="frequency_hz")
    prop = _initial_state(parameters, frequency_hz, tx_height_m, rx_height_m)
    prop["pfl"] = [len(profile) - 1, float(step_m), *profile]
    prop = qlrpfl(prop)
    free_space_db = _DB_PER_NEPER * math.log(2 * prop["wn"] * prop["dist"])
    excess_db, _ = avar(
        _quantile_deviate(parameters.reliability), 0.0, _quantile_deviate(parameters.confidence), prop
    )
    return free_space_db + float(excess_db)


def _initial_state(p: ItmParameters, frequency_hz: float, tx_height_m: float, rx_height_m: float) -> dict[str, Any]:
    wave_number = frequency_hz / 1e6 / 47.7
    relative = complex(p.permittivity, 376.62 * p.conductivity_s_m / wave_number)
    surface_impedance = np.sqrt(relative - 1)
    if p.vertical_polarization:
        surface_impedance = surface_impedance / relative
    return {
        "eps": p.permittivity, "sgm": p.conductivity_s_m, "ipol": int(p.vertical_polarization),
        "fmhz": frequency_hz / 1e6, "klim": p.climate, "ens0": p.refractivity_n, "ens": p.refractivity_n,
        "hg": [max(tx_height_m, MIN_ANTENNA_HEIGHT_M), max(rx_height_m, MIN_ANTENNA_HEIGHT_M)],
        "lvar": 5, "gma": _GMA, "wn": wave_number, "kwx": 0, "klimx": 0, "mdvarx": 11,
        "gme": _GMA * (1 - 0.04665 * math.exp(p.refractivity_n / 179.3)), "zgnd": surface_impedance,
    }


@dataclass(frozen=True)
class ItmLossGrid:
    """ITM loss from transmitter positions on a regular local east/north grid to each receiver."""

    origin: tuple[float, float, float]  # lat, lon, alt of the ENU origin
    east_m: NDArray[np.float64]  # (n,) grid coordinates
    north_m: NDArray[np.float64]  # (n,)
    loss_db: NDArray[np.float64]  # (n_receivers, n, n) indexed [receiver, north, east]

    def interpolate_db(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        """Loss for transmitters at (east, north): shape (*positions, n_receivers), clamped to the grid."""
        east = np.clip(np.asarray(east_m, dtype=float), self.east_m[0], self.east_m[-1])
        north = np.clip(np.asarray(north_m, dtype=float), self.north_m[0], self.north_m[-1])
        fx = (east - self.east_m[0]) / (self.east_m[1] - self.east_m[0])
        fy = (north - self.north_m[0]) / (self.north_m[1] - self.north_m[0])
        x0 = np.minimum(np.floor(fx).astype(int), self.east_m.size - 2)
        y0 = np.minimum(np.floor(fy).astype(int), self.north_m.size - 2)
        wx = (fx - x0)[..., None]
        wy = (fy - y0)[..., None]
        grid = np.moveaxis(self.loss_db, 0, -1)  # (n, n, n_receivers)
        top = grid[y0, x0] * (1 - wx) + grid[y0, x0 + 1] * wx
        bottom = grid[y0 + 1, x0] * (1 - wx) + grid[y0 + 1, x0 + 1] * wx
        return top * (1 - wy) + bottom * wy


def build_itm_grid(
    provider: ElevationProvider,
    receivers: list[tuple[float, float, float]],
    origin: tuple[float, float, float],
    half_width_m: float,
    n_points: int,
    frequency_hz: float,
    tx_height_m: float,
    profile_step_m: float = 500.0,
    parameters: ItmParameters = ItmParameters(),
) -> ItmLossGrid:
    """Evaluate ITM from every grid node to every receiver (lat, lon, alt_m above the ellipsoid).

    Receiver antenna heights above ground are alt_m minus the terrain under them. A transmitter
    node on top of a receiver gets the loss of the nearest 100 m instead of a zero-length path.
    """
    if n_points < 2:
        raise InvalidInput("an ITM grid needs at least 2 points per side", field="itm_grid_points")
    axis = np.linspace(-half_width_m, half_width_m, n_points)
    east, north = np.meshgrid(axis, axis)
    lat, lon, _ = enu_to_geodetic(np.stack([east, north, np.zeros_like(east)], axis=-1), *origin)
    loss = np.empty((len(receivers), n_points, n_points))
    for r, (rx_lat, rx_lon, rx_alt) in enumerate(receivers):
        rx_ground = float(np.nan_to_num(provider.elevation_m(rx_lat, rx_lon)))
        for index in np.ndindex(n_points, n_points):
            tx = (float(lat[index]), float(lon[index]))
            if abs(tx[0] - rx_lat) < 1e-3 and abs(tx[1] - rx_lon) < 1e-3:
                tx = (tx[0] + 1e-3, tx[1])
            profile = path_profile(provider, tx, (rx_lat, rx_lon), max(profile_step_m, 1.0))
            loss[(r, *index)] = itm_path_loss_db(
                profile.elevations_m, profile.step_m, frequency_hz, tx_height_m, rx_alt - rx_ground, parameters
            )
    return ItmLossGrid(origin, axis, axis, loss)
