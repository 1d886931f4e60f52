"""Delays from several segments checked against each other: consistent segments change nothing,
an inconsistent one is rejected, a wandering delay widens the sigma."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.rf.measure import gcc_delay
from heimdall.rf.measure.segmented import segment_count, segmented_delays

FS = 12_000.0


def test_consistent_segments_give_the_whole_record_delay_and_a_calibrated_sigma(make_pair) -> None:
    """Summing the segments' cross spectra is the whole record's correlation (up to the gates of
    the band weighting, found per segment, and the end taper, which the segments avoid by reading the
    other receiver a lag further on both sides): the two agree to a fraction of a sigma."""
    rng = np.random.default_rng(31)
    differences, errors, sigmas, ratios = [], [], [], []
    for _ in range(30):
        a, b = make_pair(rng, 6 * 12_000, FS, 1500.0, 9.41 / FS, snr_db=-5.0)
        found = segmented_delays(np.stack([a, b]), FS, max_delay_s=3e-3)[1]
        assert found is not None and found.accepted.size == 6
        whole = gcc_delay(a, b, FS, max_delay_s=3e-3, weighting=found.weighting)  # type: ignore[arg-type]
        assert found.model_sigma_s == pytest.approx(whole.sigma_s, rel=0.3)  # both estimates
        differences.append((found.delay_s - whole.delay_s) / whole.sigma_s)
        errors.append(found.delay_s * FS - 9.41)
        sigmas.append(found.sigma_s * FS)
        ratios.append(found.scatter_ratio)
    assert np.sqrt(np.mean(np.square(differences))) < 0.4
    assert 0.7 < np.mean(ratios) < 1.3  # the segments scatter as their own sigmas say
    assert 1 / 1.5 < np.std(errors) / np.mean(sigmas) < 1.5


def test_a_segment_with_common_interference_is_rejected(make_pair) -> None:
    """A strong interferer heard identically by both receivers for one second pulls that segment's
    delay to zero lag; it is rejected and the delay comes from the other five."""
    rng = np.random.default_rng(32)
    a, b = make_pair(rng, 6 * 12_000, FS, 1500.0, 9.41 / FS, snr_db=0.0)
    spur = 10.0 * make_pair(rng, 12_000, FS, 400.0, 0.0, snr_db=60.0)[0]
    a[24_000:36_000] += spur
    b[24_000:36_000] += spur
    found = segmented_delays(np.stack([a, b]), FS, max_delay_s=3e-3)[1]
    assert found is not None
    assert not found.accepted[2] and found.accepted.sum() == 5
    assert abs(found.segment_delay_s[2] * FS) < 1.0
    assert abs(found.delay_s * FS - 9.41) < 3 * found.sigma_s * FS
    assert abs(gcc_delay(a, b, FS, max_delay_s=3e-3).delay_s * FS - 9.41) > 3  # the whole record is off


def test_a_wandering_delay_widens_the_sigma(make_pair) -> None:
    """Each second arrives at another delay (multipath changing within seconds): the model cannot
    see it, the scatter across segments does."""
    rng = np.random.default_rng(33)
    offsets = np.array([0.0, 0.6, -0.5, 0.4, -0.6, 0.3])
    pieces = [make_pair(rng, 12_000, FS, 1500.0, (9.41 + o) / FS, snr_db=10.0) for o in offsets]
    a = np.concatenate([p[0] for p in pieces])
    b = np.concatenate([p[1] for p in pieces])
    found = segmented_delays(np.stack([a, b]), FS, max_delay_s=3e-3)[1]
    assert found is not None and found.scatter_ratio > 3
    assert found.sigma_s == pytest.approx(found.model_sigma_s * found.scatter_ratio)
    assert abs(found.delay_s * FS - (9.41 + offsets.mean())) < 2 * found.sigma_s * FS


def test_segment_count_and_bad_input() -> None:
    assert segment_count(29 * 12_000, 74, FS) == 12
    assert segment_count(10 * 12_000, 74, FS) == 10
    assert segment_count(3 * 12_000, 74, FS) == 4
    assert segment_count(4_000, 74, FS) == 1  # too short to cut: one record
    with pytest.raises(InvalidInput):
        segmented_delays(np.ones((1, 1000), complex), FS, max_delay_s=1e-3)
    with pytest.raises(InvalidInput):
        segmented_delays(np.ones((2, 1000), complex), FS, max_delay_s=0.0)
    with pytest.raises(InvalidInput, match="weighting"):
        segmented_delays(np.ones((2, 1000), complex), FS, max_delay_s=1e-3, weighting="scot")
