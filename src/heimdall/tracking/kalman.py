"""A constant-velocity Kalman filter on a local east/north plane (pure functions, plain arrays).

State ``[east_m, north_m, east_m_s, north_m_s]``; a measurement is a position with its 2x2 covariance
(a fix's ``covariance_enu_m2``). Process noise is Bar-Shalom's discrete white-noise acceleration: over
each interval between fixes the emitter's acceleration is constant, zero-mean, with standard deviation
``acceleration_sigma_m_s2`` on each axis, so ``Q = sigma^2 G G^T`` with ``G = [dt^2 / 2, dt]`` per axis.
A negative ``dt`` predicts backwards (retrodiction, for a fix older than the track's last one) with the
noise of ``|dt|``, which is conservative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]
Matrix = NDArray[np.float64]

H = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])  # a fix sees the position only


def transition(dt_s: float) -> Matrix:
    return np.array([[1.0, 0.0, dt_s, 0.0], [0.0, 1.0, 0.0, dt_s], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])


def process_noise(dt_s: float, acceleration_sigma_m_s2: float) -> Matrix:
    dt = abs(dt_s)
    per_axis = acceleration_sigma_m_s2**2 * np.array([[dt**4 / 4, dt**3 / 2], [dt**3 / 2, dt**2]])
    q = np.zeros((4, 4))
    q[np.ix_([0, 2], [0, 2])] = per_axis
    q[np.ix_([1, 3], [1, 3])] = per_axis
    return q


def initial_state(position_m: Vector, position_covariance_m2: Matrix, speed_sigma_m_s: float) -> tuple[Vector, Matrix]:
    """A track from one fix: at the fix, with its covariance, velocity unknown (zero +- speed_sigma)."""
    state = np.array([position_m[0], position_m[1], 0.0, 0.0])
    covariance = np.zeros((4, 4))
    covariance[:2, :2] = position_covariance_m2
    covariance[2, 2] = covariance[3, 3] = speed_sigma_m_s**2
    return state, covariance


def predict(state: Vector, covariance: Matrix, dt_s: float, acceleration_sigma_m_s2: float) -> tuple[Vector, Matrix]:
    f = transition(dt_s)
    predicted = f @ covariance @ f.T + process_noise(dt_s, acceleration_sigma_m_s2)
    return f @ state, _symmetric(predicted)


@dataclass(frozen=True, eq=False)
class Innovation:
    residual_m: Vector  # measured minus predicted position
    covariance_m2: Matrix  # H P H^T + R

    @property
    def nis(self) -> float:
        """Normalised innovation squared: chi-square with 2 degrees of freedom when the filter is consistent."""
        return float(self.residual_m @ np.linalg.solve(self.covariance_m2, self.residual_m))

    @property
    def negative_log_likelihood(self) -> float:
        """-ln N(residual; 0, S) without the constant: d^2 / 2 + ln det(S) / 2, for choosing among tracks."""
        sign, log_det = np.linalg.slogdet(self.covariance_m2)
        return 0.5 * self.nis + 0.5 * log_det if sign > 0 else math.inf


def innovation(state: Vector, covariance: Matrix, position_m: Vector, position_covariance_m2: Matrix) -> Innovation:
    return Innovation(position_m - H @ state, _symmetric(H @ covariance @ H.T + position_covariance_m2))


def update(state: Vector, covariance: Matrix, position_m: Vector,
           position_covariance_m2: Matrix) -> tuple[Vector, Matrix, Innovation]:
    """The measurement update, with the Joseph form so the covariance stays symmetric positive definite."""
    step = innovation(state, covariance, position_m, position_covariance_m2)
    gain = np.linalg.solve(step.covariance_m2, H @ covariance).T  # P H^T S^-1 (S symmetric)
    keep = np.eye(4) - gain @ H
    updated = keep @ covariance @ keep.T + gain @ position_covariance_m2 @ gain.T
    return state + gain @ step.residual_m, _symmetric(updated), step


def gate_nis(probability: float) -> float:
    """The chi-square (2 dof) quantile: a fix whose NIS exceeds it is outside the gate."""
    return -2.0 * math.log(1.0 - probability)


def _symmetric(matrix: Matrix) -> Matrix:
    return 0.5 * (matrix + matrix.T)
