"""IQ-level samples: captures synthesised from the sample's truth and measured back with rf.measure."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.synth import generate, load_config, read_iq_shard, validate_samples, write_iq_shard, write_shard
from heimdall.synth.scenario import build_scenario

CONFIG = {"seed": 21, "num_samples": 6, "iq": {"enabled": True, "duration_s": 0.1, "sample_rate_hz": 25_000.0},
          "transmitters": {"signal_types": {"nbfm_voice": 0.5, "fsk4": 0.5}, "eirp_dbm": [20, 30]}}


@pytest.fixture(scope="module")
def iq_batch():
    return next(generate(CONFIG))


def test_iq_captures_have_the_configured_shape(iq_batch):
    assert iq_batch.iq["iq"].shape == (6, 7, 2500) and iq_batch.iq["iq"].dtype == np.complex64
    assert float(iq_batch.iq["sample_rate_hz"]) == 25_000.0


def test_extracted_tdoa_matches_the_geometry_within_its_sigma(iq_batch):
    scn = build_scenario(load_config(CONFIG))
    tx = geodetic_to_ecef(iq_batch.truth_lat, iq_batch.truth_lon, iq_batch.truth_alt_m)
    arrival = np.linalg.norm(tx[:, None] - scn.rx_true_ecef_m[None], axis=-1) / SPEED_OF_LIGHT_M_S
    rows = np.arange(len(iq_batch))
    true = arrival - arrival[rows, iq_batch.tdoa_reference][:, None]
    present = ~np.isnan(iq_batch.tdoa_s)
    assert np.count_nonzero(present) >= 20
    z = ((iq_batch.tdoa_s - true) / iq_batch.tdoa_sigma_s)[present]
    assert np.max(np.abs(z)) < 6.0
    assert validate_samples(iq_batch)["ok"]


def test_extracted_power_matches_the_simulated_power(iq_batch):
    plain = next(generate({**CONFIG, "iq": {"enabled": False}}))
    np.testing.assert_array_equal(plain.truth_lat, iq_batch.truth_lat)  # same truth as measurement level
    continuous = iq_batch.signal_type == 0  # a 4FSK burst fills only part of the capture: lower mean power
    assert np.count_nonzero(continuous) >= 2
    np.testing.assert_allclose(iq_batch.rss_power_dbm[continuous], plain.rss_power_dbm[continuous], atol=0.5)
    bursts = ~continuous
    assert np.all(np.nanmean(iq_batch.rss_power_dbm[bursts] - plain.rss_power_dbm[bursts], axis=1) < 0)


def test_iq_is_deterministic_and_round_trips(iq_batch):
    again = next(generate(CONFIG))
    assert write_iq_shard(again) == write_iq_shard(iq_batch)
    assert write_shard(again) == write_shard(iq_batch)
    back = read_iq_shard(write_iq_shard(iq_batch))
    np.testing.assert_array_equal(back["iq"], iq_batch.iq["iq"])
    np.testing.assert_array_equal(back["sample_id"], iq_batch.sample_id)
    with pytest.raises(InvalidInput):
        write_iq_shard(next(generate({"num_samples": 2})))
    with pytest.raises(InvalidInput):
        read_iq_shard(b"nope")
