"""The joint fit: exact recovery, identifiability (absolute / relative and the gauge), covariance."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.calibrate import BEARING, GAIN, TIMING, ZERO_MEAN, calibrate
from heimdall.calibrate.scenarios import InjectedOffsets

from .conftest import G7_IDS, Draws, offsets_for, references


@pytest.mark.parametrize(("scenario", "quantity", "tolerance", "relative"), [
    ("toa-voice-20db", TIMING, 1e-12, True),
    ("tdoa-pairs", TIMING, 1e-12, True),
    ("rss-8db", GAIN, 1e-9, True),
    ("aoa-3deg", BEARING, 1e-9, False),
])
def test_noiseless_references_give_the_offsets_back_exactly(scenario, quantity, tolerance, relative):
    offsets = offsets_for(G7_IDS)
    cal = calibrate(references(scenario, offsets)).get(quantity)
    truth = offsets.by_quantity()[quantity]
    assert cal.receivers == tuple(G7_IDS)
    assert cal.relative is relative and cal.gauge == (ZERO_MEAN if relative else None)
    np.testing.assert_allclose(cal.offset, cal.in_gauge(truth), atol=tolerance)
    assert cal.chi2 < 1e-12 and cal.scale == 1.0 and cal.consistent
    if relative:
        assert abs(cal.offset.sum()) < tolerance  # the zero-mean gauge
        np.testing.assert_allclose(cal.covariance.sum(axis=0), 0.0, atol=1e-9 * cal.covariance.max())
    else:
        np.testing.assert_allclose(cal.offset, [truth[r] for r in G7_IDS], atol=tolerance)


def test_known_eirp_makes_gains_absolute():
    offsets = offsets_for(G7_IDS)
    cal = calibrate(references("rss-8db", offsets, draws=Draws(eirp_dbm=41.0), known_eirp=True)).get(GAIN)
    assert not cal.relative
    np.testing.assert_allclose(cal.offset, [offsets.gain_db[r] for r in G7_IDS], atol=1e-9)


def test_a_receiver_gauge_pins_that_receiver_and_only_moves_the_common_offset():
    offsets = offsets_for(G7_IDS)
    refs = references("tdoa-pairs", offsets, draws=Draws(noiseless=False))
    mean_gauge = calibrate(refs).get(TIMING)
    pinned = calibrate(refs, gauge="rx0").get(TIMING)
    assert pinned.gauge == "rx0" and pinned.offset[0] == 0.0 and pinned.sigma[0] == 0.0
    # same differences, same difference covariances: the gauge is a convention, not information
    difference = np.eye(7)[1:] - np.eye(7)[0]
    np.testing.assert_allclose(difference @ pinned.offset, difference @ mean_gauge.offset, atol=1e-15)
    np.testing.assert_allclose(difference @ pinned.covariance @ difference.T,
                               difference @ mean_gauge.covariance @ difference.T, rtol=1e-9, atol=1e-24)


def test_covariance_of_pair_offsets_is_the_pair_noise_over_the_references():
    """TDoA against rx0 from 5 references: each offset relative to rx0 is the mean of 5 pairs."""
    offsets = offsets_for(G7_IDS)
    pinned = calibrate(references("tdoa-pairs", offsets), gauge="rx0").get(TIMING)
    np.testing.assert_allclose(pinned.covariance[1:, 1:], np.eye(6) * 205e-9**2 / 5, rtol=1e-9, atol=1e-24)


def test_fused_references_calibrate_each_quantity_on_its_own_receivers():
    offsets = offsets_for(G7_IDS)
    cal = calibrate(references("fused", offsets))
    assert cal.get(TIMING).receivers == ("rx0", "rx2", "rx4")
    assert cal.get(GAIN).receivers == tuple(G7_IDS)
    assert cal.get(BEARING).receivers == ("rx1", "rx5")
    assert sorted(cal.receivers) == G7_IDS and cal.reference_count == 5


def test_quantities_and_receivers_restrict_the_fit():
    offsets = offsets_for(G7_IDS)
    cal = calibrate(references("fused", offsets), quantities=[GAIN], receivers=["rx0", "rx1", "rx2", "rx3"])
    assert list(cal.offsets) == [GAIN] and cal.get(GAIN).receivers == ("rx0", "rx1", "rx2", "rx3")
    assert sorted(cal.receivers) == ["rx0", "rx1", "rx2", "rx3"]


def test_scatter_beyond_the_stated_sigmas_inflates_the_uncertainty():
    offsets = offsets_for(G7_IDS)
    honest = calibrate(references("aoa-3deg", offsets, draws=Draws(seed=1, noiseless=False))).get(BEARING)
    sites = [(45.0 + 0.05 * k, 7.3 + 0.08 * k) for k in range(8)]

    class Wide(Draws):  # true noise 4x the stated 3 degrees
        def normal(self, loc, scale, size):
            return self._rng.normal(loc, 4.0 * scale, size)

    wide = calibrate(references("aoa-3deg", offsets, sites=sites, draws=Wide(seed=2))).get(BEARING)
    assert 3.0 < wide.scale < 5.5 and not wide.consistent
    np.testing.assert_allclose(wide.covariance, wide.scale**2 * np.eye(7) * 9.0 / 8, rtol=1e-6)
    assert honest.scale < 1.6
    assert np.all(wide.residual_rms > 2.0)


def test_stored_form_round_trips():
    from heimdall.calibrate import calibration_from_dict

    cal = calibrate(references("fused", offsets_for(G7_IDS), draws=Draws(noiseless=False)))
    doc = cal.to_dict()
    again = calibration_from_dict(doc)
    assert again.to_dict() == doc
    timing = doc[TIMING]
    assert timing["relative"] and timing["gauge"] == ZERO_MEAN and "sum to zero" in timing["gauge_description"]
    assert doc[BEARING]["gauge_description"] == "absolute"
    entry = timing["offsets"][0]
    assert set(entry) == {"receiver", "offset", "sigma", "residual_rms", "measurements", "references"}
    assert entry["references"] == 5 and entry["measurements"] == 5


def test_in_gauge_moves_known_offsets_into_the_calibration_gauge():
    offsets = InjectedOffsets({r: 1e-6 for r in G7_IDS}, {}, {})
    cal = calibrate(references("toa-voice-20db", offsets)).get(TIMING)
    np.testing.assert_allclose(cal.in_gauge(offsets.timing_s), 0.0, atol=1e-18)
    np.testing.assert_allclose(cal.offset, 0.0, atol=1e-12)  # a common offset is invisible
