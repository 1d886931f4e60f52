"""Generation: determinism, expansion, physics checks, derived sigmas, shards, statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.synth import (
    concatenate,
    dataset_statistics,
    generate,
    load_config,
    read_shard,
    validate_samples,
    write_shard,
)
from heimdall.synth.engine import Transmitters, timing_sigma_s
from heimdall.synth.scenario import build_scenario

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "datasets"


def _all(config, start=0, count=None, batch_size=700):
    return concatenate(list(generate(config, start, count, batch_size=batch_size)))


def test_same_config_and_seed_give_byte_identical_shards():
    config = {"seed": 11, "num_samples": 1500, "realism": "channel"}
    first = [write_shard(b) for b in generate(config, batch_size=600)]
    second = [write_shard(b) for b in generate(config, batch_size=600)]
    assert first == second and len(first) == 3
    other_seed = [write_shard(b) for b in generate({**config, "seed": 12}, batch_size=600)]
    assert other_seed[0] != first[0]


def test_sample_i_does_not_depend_on_how_it_was_requested():
    config = {"seed": 2, "num_samples": 3000}
    whole = _all(config)
    part = _all(config, start=1500, count=700, batch_size=333)
    np.testing.assert_array_equal(part.sample_id, np.arange(1500, 2200))
    np.testing.assert_array_equal(part.truth_lat, whole.truth_lat[1500:2200])
    np.testing.assert_array_equal(part.toa_s, whole.toa_s[1500:2200])


def test_expansion_yields_new_distinct_samples():
    config = {"seed": 4, "num_samples": 1000}
    original = _all(config)
    expanded = _all(config, start=1000, count=1000)
    assert set(original.sample_id).isdisjoint(expanded.sample_id)
    assert len(set(original.truth_lat) | set(expanded.truth_lat)) == 2000


def test_batches_bound_the_memory():
    sizes = [len(b) for b in generate({"num_samples": 5000}, batch_size=1200)]
    assert sizes == [1200, 1200, 1200, 1200, 200]


@pytest.mark.parametrize("realism", ["ideal", "hardware", "channel"])
@pytest.mark.parametrize("time_measurement", ["toa", "tdoa"])
def test_physics_checks_pass(realism, time_measurement):
    config = {"seed": 5, "num_samples": 1024, "realism": realism,
              "observation": {"time_measurement": time_measurement},
              "transmitters": {"signal_types": {"nbfm_voice": 0.5, "fsk4": 0.3, "carrier": 0.2}}}
    batch = _all(config, batch_size=1024)
    report = validate_samples(batch)
    assert report["ok"], report
    assert report["checks"]["rss_below_eirp"]["checked"] > 5000
    assert np.all(batch.rss_power_dbm[~np.isnan(batch.rss_power_dbm)] < batch.truth_eirp_dbm.repeat(7)[
        ~np.isnan(batch.rss_power_dbm).reshape(-1)])
    timing = batch.toa_s if time_measurement == "toa" else batch.tdoa_s
    assert np.count_nonzero(~np.isnan(timing)) > 2000
    carriers = batch.signal_type == 2  # SIGNAL_TYPES.index("carrier"): no bandwidth, no timing
    assert np.all(np.isnan(timing[carriers]))


def test_tdoa_is_bounded_by_the_baseline_and_noise_matches_sigma():
    batch = _all({"seed": 8, "num_samples": 2048, "observation": {"time_measurement": "tdoa"}})
    scn = build_scenario(load_config({"seed": 8, "num_samples": 2048, "observation": {"time_measurement": "tdoa"}}))
    tx = geodetic_to_ecef(batch.truth_lat, batch.truth_lon, batch.truth_alt_m)
    arrival = np.linalg.norm(tx[:, None] - scn.rx_true_ecef_m[None], axis=-1) / SPEED_OF_LIGHT_M_S
    rows = np.arange(len(batch))
    true = arrival - arrival[rows, batch.tdoa_reference][:, None]
    baseline = np.linalg.norm(scn.rx_true_ecef_m[:, None] - scn.rx_true_ecef_m[None], axis=-1) / SPEED_OF_LIGHT_M_S
    present = ~np.isnan(batch.tdoa_s)
    assert np.all(np.abs(true[present]) <= baseline[batch.tdoa_reference][present] + 1e-12)
    z = ((batch.tdoa_s - true) / batch.tdoa_sigma_s)[present]
    assert np.std(z) == pytest.approx(1.0, abs=0.05) and abs(np.mean(z)) < 0.05


def test_rss_error_matches_the_stated_sigma_at_ideal():
    config = load_config({"seed": 3, "num_samples": 2048})
    batch = _all(config)
    scn = build_scenario(config)
    from heimdall.rf.propagation import log_distance_path_loss_db

    tx = geodetic_to_ecef(batch.truth_lat, batch.truth_lon, batch.truth_alt_m)
    distance = np.linalg.norm(tx[:, None] - scn.rx_true_ecef_m[None], axis=-1)
    model = batch.truth_eirp_dbm[:, None] - log_distance_path_loss_db(distance, config.frequency_hz)
    z = (batch.rss_power_dbm - model) / batch.rss_sigma_db
    assert np.nanstd(z) == pytest.approx(1.0, abs=0.03)
    assert np.all(batch.rss_sigma_db[~np.isnan(batch.rss_sigma_db)] == 8.0)  # the shadowing sigma


def test_impairments_widen_the_stated_rss_sigma():
    ideal = _all({"num_samples": 100, "realism": "ideal"})
    hardware = _all({"num_samples": 100, "realism": "hardware"})
    channel = _all({"num_samples": 100, "realism": "channel"})
    assert np.nanmax(ideal.rss_sigma_db) < np.nanmin(hardware.rss_sigma_db) < np.nanmin(channel.rss_sigma_db)


def test_toa_sigma_decreases_with_snr_and_bandwidth():
    scn = build_scenario(load_config({}))
    n = 2
    tx = Transmitters(lat=np.zeros(n), lon=np.zeros(n), alt_m=np.zeros(n), ecef_m=np.zeros((n, 3)),
                      enu_m=np.zeros((n, 3)), eirp_dbm=np.zeros(n), signal_type=np.array([0, 4], np.int8),
                      duration_s=np.ones(n), keyed_s=np.ones(n))
    snr_db = np.array([[0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]] * 2)
    delay, total = timing_sigma_s(scn, tx, snr_db)
    assert np.all(np.diff(delay, axis=1) < 0) and np.all(np.diff(total, axis=1) < 0)
    assert np.allclose(delay[:, 1] / delay[:, 2], np.sqrt(10.0))  # 1/sqrt(SNR)
    beta = scn.rms_bandwidth_hz
    assert np.allclose(delay[0] / delay[1], beta[4] / beta[0])  # 1/beta: fsk4 is wider than voice
    assert np.all(total >= 100e-9)  # never better than the GNSS timing


def test_shard_round_trip_and_sample_dicts():
    batch = next(generate({"num_samples": 50, "observation": {"time_measurement": "tdoa"}}))
    data = write_shard(batch)
    back = read_shard(data)
    for name in ("sample_id", "truth_lat", "tdoa_s", "tdoa_reference", "snr_db", "aoa_sigma_deg"):
        np.testing.assert_array_equal(getattr(back, name), getattr(batch, name))
    assert write_shard(back) == data
    sample = back.to_dicts()[3]
    assert sample["sample_id"] == 3 and sample["truth"]["signal_type"] == "nbfm_voice"
    ms = sample["measurement_set"]
    assert {r["id"] for r in ms["receivers"]} == {f"rx{i}" for i in range(7)}
    assert len(ms["tdoa"]) == 6 and all(t["reference"] != t["receiver"] for t in ms["tdoa"])
    assert ms["propagation"] == {"model": "log_distance", "path_loss_exponent": 3.0, "reference_distance_m": 1000.0}
    assert set(sample["snr_db"]) == {f"rx{i}" for i in range(7)} and sample["gdop"] > 0


def test_crlb_agrees_with_locate_bounds():
    from heimdall.locate.bounds import crlb_enu_m2, rms_error_m
    from heimdall.locate.measurement_set import parse_measurement_set

    for config in ({"realism": "hardware"}, {"observation": {"time_measurement": "tdoa"}}):
        batch = next(generate({"num_samples": 5, **config}))
        for sample in batch.to_dicts():
            cov = crlb_enu_m2(parse_measurement_set(sample["measurement_set"]), sample["truth"]["lat"],
                              sample["truth"]["lon"])
            assert sample["crlb_rms_m"] == pytest.approx(float(rms_error_m(cov)), rel=0.01)


def test_statistics_stream_over_batches():
    stats = dataset_statistics(generate({"num_samples": 3000}, batch_size=1000))
    assert stats["n_samples"] == 3000 and stats["signal_types"] == {"nbfm_voice": 3000}
    assert sum(stats["histograms"]["gdop"]["counts"]) == 3000
    assert sum(stats["histograms"]["snr_db"]["counts"]) == 3000 * 7
    assert 10.0 < stats["histograms"]["crlb_rms_m"]["median"] < 500.0
    assert 0.5 < stats["histograms"]["gdop"]["median"] < 3.0


def test_toy_config_with_terrain_and_itm_generates_valid_samples():
    batch = _all(CONFIGS / "toy.yaml", count=300)
    assert validate_samples(batch)["ok"]
    assert np.all(batch.truth_alt_m > 0)  # transmitters stand on the procedural hills
    c_readings = batch.rss_power_dbm[:, 2]
    c_readings = c_readings[~np.isnan(c_readings)]
    step = np.where(c_readings <= -93.0, 6.0, 10.0)  # S-units up to S9 (-93 dBm on VHF), then 10 dB steps
    assert c_readings.size > 100 and np.allclose(np.mod(c_readings + 93.0, step), 0.0)
    assert np.all(np.isnan(batch.tdoa_s[:, 2:]))  # RSS-only receivers never time
