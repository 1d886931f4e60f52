"""Unit phasors exp(j angle) in the angle's precision.

``np.exp`` of an imaginary array goes through the complex exponential (no SIMD, and it evaluates
exp(0) for every element): writing cos and sin straight into the real and imaginary parts is 2x
faster in double precision and ~20x faster in single precision, which dominates IQ synthesis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def unit_phasor(angle_rad: NDArray[np.floating[Any]]) -> NDArray[np.complexfloating[Any, Any]]:
    """exp(1j * angle_rad): complex64 for a float32 angle, complex128 otherwise."""
    angle = np.asarray(angle_rad)
    if angle.dtype != np.float32:
        angle = angle.astype(np.float64, copy=False)
    out: NDArray[np.complexfloating[Any, Any]] = np.empty(
        angle.shape, dtype=np.complex64 if angle.dtype == np.float32 else np.complex128)
    np.cos(angle, out=out.real)
    np.sin(angle, out=out.imag)
    return out
