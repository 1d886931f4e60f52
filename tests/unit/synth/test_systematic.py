"""Systematic per-receiver offsets in the simulator: config, reproducibility, injection, truth."""

from __future__ import annotations

import numpy as np
import pytest

from heimdall.errors import InvalidInput
from heimdall.geo import SPEED_OF_LIGHT_M_S, bearing_deg, geodetic_to_ecef
from heimdall.synth import concatenate, generate, load_config, read_shard, validate_samples, write_shard

OFFSETS = {"timing_offset_s": {"sigma": 2e-6}, "gain_offset_db": {"distribution": "normal", "mean": 1.0, "sigma": 6.0},
           "bearing_offset_deg": {"distribution": "uniform", "low": -5.0, "high": 5.0}}


def _config(**extra):
    return {"seed": 3, "num_samples": 200, "impairments": {"systematic": OFFSETS}, **extra}


def _all(config, start=0, count=None):
    return concatenate(list(generate(config, start, count, batch_size=64)))


@pytest.mark.parametrize(("systematic", "field"), [
    ({"timing_offset_s": {"sigma": -1e-6}}, "impairments.systematic.timing_offset_s.sigma"),
    ({"timing_offset_s": {"sigma": 2.0}}, "impairments.systematic.timing_offset_s"),
    ({"gain_offset_db": {"distribution": "uniform", "low": 3.0, "high": -3.0}},
     "impairments.systematic.gain_offset_db.low"),
    ({"gain_offset_db": {"distribution": "normal", "sigma": 1.0, "low": 0.0}},
     "impairments.systematic.gain_offset_db.low"),
    ({"bearing_offset_deg": {"distribution": "fixed", "values": {"rx9": 2.0}}},
     "impairments.systematic.bearing_offset_deg.values"),
    ({"bearing_offset_deg": {"distribution": "gamma", "sigma": 1.0}}, "impairments.systematic.bearing_offset_deg"),
    ({"phase_offset_rad": {"sigma": 1.0}}, "impairments.systematic.phase_offset_rad"),
])
def test_impossible_offsets_name_the_field(systematic, field):
    with pytest.raises(InvalidInput) as info:
        load_config({"impairments": {"systematic": systematic}})
    assert info.value.field == field and info.value.http_status == 422


def test_configs_without_offsets_keep_their_fingerprint_and_schema():
    # the fingerprints these configs had before systematic offsets existed
    assert load_config({}).fingerprint() == "d3f04f199cc97cc8"
    assert load_config({"seed": 3, "realism": "hardware"}).fingerprint() == "90b4de17409d7408"
    plain = load_config({"seed": 3})
    with_offsets = load_config(_config())
    assert with_offsets.schema_version == 1 and with_offsets.fingerprint() != plain.fingerprint()
    assert load_config(with_offsets.model_dump(mode="json")).fingerprint() == with_offsets.fingerprint()


def test_offsets_are_drawn_once_per_dataset_and_recorded_as_truth():
    batches = list(generate(_config(), batch_size=64))
    truth = batches[0].meta["systematic_offsets"]
    assert all(b.meta["systematic_offsets"] == truth for b in batches)
    assert set(truth) == {"timing_offset_s", "gain_offset_db", "bearing_offset_deg"}
    assert sorted(truth["timing_offset_s"]) == [f"rx{i}" for i in range(7)]
    assert len(set(truth["timing_offset_s"].values())) == 7  # each receiver its own
    assert all(-5.0 <= v <= 5.0 for v in truth["bearing_offset_deg"].values())
    assert read_shard(write_shard(batches[1])).meta["systematic_offsets"] == truth
    # resumed or expanded runs, other seeds
    assert next(generate(_config(), 150, 10)).meta["systematic_offsets"] == truth
    assert next(generate({**_config(), "seed": 4})).meta["systematic_offsets"] != truth


def test_each_quantity_has_its_own_stream():
    only_timing = {"seed": 3, "num_samples": 10, "impairments": {"systematic": {"timing_offset_s": {"sigma": 2e-6}}}}
    alone = next(generate(only_timing)).meta["systematic_offsets"]["timing_offset_s"]
    assert alone == next(generate(_config(num_samples=10))).meta["systematic_offsets"]["timing_offset_s"]


def test_without_offsets_the_samples_are_unchanged():
    plain = _all({"seed": 3, "num_samples": 100, "realism": "hardware"})
    zero = _all({"seed": 3, "num_samples": 100, "realism": "hardware", "impairments": {"systematic": {
        "timing_offset_s": {"distribution": "fixed", "values": {"rx0": 0.0}}}}})
    for name in ("rss_power_dbm", "toa_s", "aoa_bearing_deg", "snr_db", "crlb_rms_m"):
        np.testing.assert_array_equal(getattr(zero, name), getattr(plain, name))


def test_measurements_carry_the_offsets_and_sigmas_do_not():
    fixed = {"timing_offset_s": {"rx1": 3e-6, "rx4": -2e-6}, "gain_offset_db": {"rx2": 5.0},
             "bearing_offset_deg": {"rx6": -4.0}}
    systematic = {k: {"distribution": "fixed", "values": v} for k, v in fixed.items()}
    plain = _all({"seed": 8, "num_samples": 300})
    offset = _all({"seed": 8, "num_samples": 300, "impairments": {"systematic": systematic}})
    ids = [r["id"] for r in plain.meta["receivers"]]
    def expected(quantity: str, like: np.ndarray) -> np.ndarray:
        values = np.array([fixed[quantity].get(rid, 0.0) for rid in ids])
        return np.where(np.isnan(like), np.nan, values[None, :])

    np.testing.assert_allclose(offset.toa_s - plain.toa_s, expected("timing_offset_s", plain.toa_s), atol=1e-15)
    np.testing.assert_allclose(offset.rss_power_dbm - plain.rss_power_dbm,
                               expected("gain_offset_db", plain.rss_power_dbm), atol=1e-9)
    turn = (offset.aoa_bearing_deg - plain.aoa_bearing_deg + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(turn, expected("bearing_offset_deg", plain.aoa_bearing_deg), atol=1e-9)
    for name in ("toa_sigma_s", "rss_sigma_db", "aoa_sigma_deg"):
        np.testing.assert_array_equal(getattr(offset, name), getattr(plain, name))


def test_tdoa_pairs_carry_the_difference_of_their_receivers_offsets():
    values = {"rx1": 3e-6, "rx4": -2e-6}
    config = {"seed": 9, "num_samples": 200, "observation": {"time_measurement": "tdoa"},
              "impairments": {"systematic": {"timing_offset_s": {"distribution": "fixed", "values": values}}}}
    offset = _all(config)
    plain = _all({**config, "impairments": {}})
    tau = np.array([values.get(r["id"], 0.0) for r in plain.meta["receivers"]])
    np.testing.assert_array_equal(offset.tdoa_reference, plain.tdoa_reference)
    expected = tau[None, :] - tau[plain.tdoa_reference][:, None]
    np.testing.assert_allclose(offset.tdoa_s - plain.tdoa_s, np.where(np.isnan(plain.tdoa_s), np.nan, expected),
                               atol=1e-15)
    assert validate_samples(offset)["ok"]  # the physics check allows for the dataset's own offsets


def test_offsets_are_measured_like_the_truth_says():
    """Recorded truth = what the data show: bearings minus the true azimuth average to the offset."""
    batch = _all(_config(num_samples=1024))
    truth = batch.meta["systematic_offsets"]["bearing_offset_deg"]
    rx = batch.meta["receivers"]
    for k, r in enumerate(rx):
        true = bearing_deg(r["lat"], r["lon"], r["alt_m"], batch.truth_lat, batch.truth_lon, batch.truth_alt_m)
        residual = (batch.aoa_bearing_deg[:, k] - true + 180.0) % 360.0 - 180.0
        assert abs(np.nanmean(residual) - truth[r["id"]]) < 0.4  # 3 deg noise over ~1000 samples
    ecef = geodetic_to_ecef([r["lat"] for r in rx], [r["lon"] for r in rx], [r["alt_m"] for r in rx])
    tx = geodetic_to_ecef(batch.truth_lat, batch.truth_lon, batch.truth_alt_m)
    arrival = batch.toa_s - np.linalg.norm(tx[:, None, :] - ecef[None], axis=-1) / SPEED_OF_LIGHT_M_S
    spread = arrival - np.nanmean(arrival, axis=1, keepdims=True)  # the emission time cancels
    tau = np.array([batch.meta["systematic_offsets"]["timing_offset_s"][r["id"]] for r in rx])
    np.testing.assert_allclose(np.nanmean(spread, axis=0), tau - tau.mean(), atol=2e-8)


def test_iq_level_captures_carry_the_offsets_and_the_search_window_allows_for_them():
    values = {"rx1": 3e-6, "rx4": -2e-6}
    systematic = {"timing_offset_s": {"distribution": "fixed", "values": values},
                  "gain_offset_db": {"distribution": "fixed", "values": {"rx2": 5.0}}}
    config = {"seed": 1, "num_samples": 4, "iq": {"enabled": True}}
    plain = next(generate(config))
    offset = next(generate({**config, "impairments": {"systematic": systematic}}))
    tau = np.array([values.get(r["id"], 0.0) for r in plain.meta["receivers"]])
    for i in range(4):
        ref = plain.tdoa_reference[i]
        both = ~np.isnan(plain.tdoa_s[i]) & ~np.isnan(offset.tdoa_s[i])
        assert both.sum() >= 4 and offset.tdoa_reference[i] == ref
        # the same signal and noise draws, the signal shifted: the delays move by the offsets, within noise
        moved = (offset.tdoa_s[i] - plain.tdoa_s[i] - (tau - tau[ref]))[both]
        assert np.all(np.abs(moved) < 4.0 * offset.tdoa_sigma_s[i][both])
    gain = np.array([5.0 if r["id"] == "rx2" else 0.0 for r in plain.meta["receivers"]])
    # (the shifted timing moves the power estimate by ~1e-4 dB: where the signal sits in the window)
    np.testing.assert_allclose(offset.rss_power_dbm - plain.rss_power_dbm, np.broadcast_to(gain, (4, 7)), atol=1e-3)
