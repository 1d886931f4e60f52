"""unit_phasor and the single-precision path of apply_frequency_offset."""

import numpy as np

from heimdall.rf.impairments import apply_frequency_offset
from heimdall.rf.phasor import unit_phasor


def test_unit_phasor_matches_complex_exp_in_each_precision() -> None:
    angle = np.random.default_rng(1).uniform(-50.0, 50.0, (3, 257))
    double = unit_phasor(angle)
    assert double.dtype == np.complex128
    np.testing.assert_allclose(double, np.exp(1j * angle), atol=1e-14)
    single = unit_phasor(angle.astype(np.float32))
    assert single.dtype == np.complex64
    np.testing.assert_allclose(single, np.exp(1j * angle.astype(np.float32).astype(float)), atol=1e-6)
    assert unit_phasor(np.arange(4)).dtype == np.complex128  # integer angles count as double


def test_frequency_offset_keeps_single_precision_and_agrees_with_double() -> None:
    rng = np.random.default_rng(2)
    iq = (rng.standard_normal((2, 5000)) + 1j * rng.standard_normal((2, 5000))).astype(np.complex64)
    single = apply_frequency_offset(iq, [120.0, -340.0], 50_000.0)
    double = apply_frequency_offset(iq.astype(np.complex128), [120.0, -340.0], 50_000.0)
    assert single.dtype == np.complex64 and double.dtype == np.complex128
    np.testing.assert_allclose(single, double, atol=1e-4)
    np.testing.assert_allclose(double[0], iq[0] * np.exp(2j * np.pi * 120.0 * np.arange(5000) / 50_000.0), atol=1e-9)
