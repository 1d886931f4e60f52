import copy
import dataclasses

import numpy as np
import pytest

from heimdall.bench.scenarios import g7_receivers
from heimdall.errors import InsufficientData, InvalidInput, NoModelAvailable
from heimdall.geo import SPEED_OF_LIGHT_M_S, geodetic_to_ecef
from heimdall.locate import parse_measurement_set
from heimdall.locate.measurement_set import Receivers
from heimdall.nn.features import CH, FEATURE_CHANNELS, build_features, targets_en_m
from heimdall.nn.layout import ReceiverLayout, layout_from_measurement_sets, union_receivers
from heimdall.synth import generate, load_config
from heimdall.training.scenario_samples import scenario_samples


def _noise_free_distances(sample):
    rx = sample["measurement_set"]["receivers"]
    t = sample["truth"]
    tx = geodetic_to_ecef(t["lat"], t["lon"], t["alt_m"])
    return np.array([np.linalg.norm(tx - geodetic_to_ecef(r["lat"], r["lon"], r["alt_m"])) for r in rx])


def _features(docs, layout):
    return build_features([parse_measurement_set(doc) for doc in docs], layout)


def test_shapes_masks_and_padding(fused_samples, all_modality_layout):
    ms = copy.deepcopy(fused_samples[0]["measurement_set"])
    ms["receivers"] = [r for r in ms["receivers"] if r["id"] != "rx6"]
    ms["rss"] = [e for e in ms["rss"] if e["receiver"] != "rx6"]
    x = _features([ms], all_modality_layout)
    assert x.shape == (1, 7, len(FEATURE_CHANNELS)) and x.dtype == np.float32
    slot = all_modality_layout.slot_of()
    assert np.all(x[0, slot["rx6"]] == 0.0)  # absent receiver: padded with zeros, present = 0
    assert x[0, :, CH["present"]].sum() == 6
    assert x[0, :, CH["rss_mask"]].sum() == 6
    assert [i for i in range(7) if x[0, i, CH["toa_mask"]]] == [slot[r] for r in ("rx0", "rx2", "rx4")]
    assert [i for i in range(7) if x[0, i, CH["aoa_mask"]]] == [slot[r] for r in ("rx1", "rx5")]
    np.testing.assert_allclose(x[0, slot["rx0"], CH["east_m"]:CH["north_m"] + 1], 0.0, atol=1.0)
    np.testing.assert_allclose(x[0, slot["rx1"], CH["north_m"]], 50_000.0, rtol=1e-3)


def test_toa_emission_time_removed_and_in_metres():
    sample = scenario_samples("toa-voice-20db", 1, np.random.default_rng(5))[0]
    layout = layout_from_measurement_sets([parse_measurement_set(sample["measurement_set"])])
    shifted = copy.deepcopy(sample["measurement_set"])
    for e in shifted["toa"]:
        e["toa_s"] += 3.25
    a, b = _features([sample["measurement_set"], shifted], layout)
    np.testing.assert_allclose(a, b, atol=1e-3)
    d = _noise_free_distances(sample)
    # 145 ns of noise is ~43 m per receiver
    np.testing.assert_allclose(a[:, CH["toa_m"]], d - d.mean(), atol=300.0)
    np.testing.assert_allclose(np.exp(a[:, CH["log_toa_sigma_m"]]), 145e-9 * SPEED_OF_LIGHT_M_S, rtol=1e-5)


def test_tdoa_pairs_with_any_references_give_the_same_pseudoranges():
    sample = scenario_samples("tdoa-pairs", 1, np.random.default_rng(6))[0]
    ms = sample["measurement_set"]
    layout = layout_from_measurement_sets([parse_measurement_set(ms)])
    d = _noise_free_distances(sample)
    exact = copy.deepcopy(ms)
    exact["tdoa"] = [dict(e, tdoa_s=(d[i + 1] - d[0]) / SPEED_OF_LIGHT_M_S) for i, e in enumerate(ms["tdoa"])]
    chained = copy.deepcopy(exact)  # rx2 against rx1, rx3 against rx2, ...: the same information
    for i in range(1, 6):
        chained["tdoa"][i] = {"receiver": f"rx{i + 1}", "reference": f"rx{i}",
                              "tdoa_s": (d[i + 1] - d[i]) / SPEED_OF_LIGHT_M_S, "sigma_s": 205e-9}
    a, b = _features([exact, chained], layout)
    np.testing.assert_allclose(a[:, CH["tdoa_m"]], d - d.mean(), atol=0.05)
    np.testing.assert_allclose(b[:, CH["tdoa_m"]], d - d.mean(), atol=0.05)
    assert a[:, CH["tdoa_mask"]].sum() == 7
    # the reference takes part in six pairs: more information, smaller pseudo-range sigma
    assert a[0, CH["log_tdoa_sigma_m"]] < a[1, CH["log_tdoa_sigma_m"]]


def test_rss_relative_power_cancels_transmit_power_and_aoa_is_sin_cos(fused_samples, all_modality_layout):
    ms = fused_samples[1]["measurement_set"]
    louder = copy.deepcopy(ms)
    for e in louder["rss"]:
        e["power_dbm"] += 17.0
    a, b = _features([ms, louder], all_modality_layout)
    np.testing.assert_allclose(a[:, CH["power_rel_db"]], b[:, CH["power_rel_db"]], atol=1e-4)
    assert not np.allclose(a[:, CH["power_dbm"]], b[:, CH["power_dbm"]])
    slot = all_modality_layout.slot_of()
    bearing = np.radians(next(e["bearing_deg"] for e in ms["aoa"] if e["receiver"] == "rx1"))
    np.testing.assert_allclose(a[slot["rx1"], [CH["aoa_sin"], CH["aoa_cos"]]], [np.sin(bearing), np.cos(bearing)],
                               atol=1e-6)


def _broken(ms, edit):
    ms = copy.deepcopy(ms)
    edit(ms)
    return ms


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda ms: ms["rss"][0].update(power_dbm=float("nan")), "rss[0].power_dbm"),
        (lambda ms: ms["rss"][0].update(sigma_db=0.0), "rss[0].sigma_db"),
        (lambda ms: ms["rss"][0].update(receiver="nobody"), "rss[0].receiver"),
        (lambda ms: ms["rss"].append(dict(ms["rss"][0])), "rss"),
        (lambda ms: ms["receivers"].append(dict(ms["receivers"][0])), "receivers[7].id"),
        (lambda ms: ms.update(toa="nope"), "toa"),
        (lambda ms: ms.update(receivers=[]), "receivers"),
        (lambda ms: ms["receivers"][0].update(lat="45"), "receivers[0].lat"),
    ],
)
def test_malformed_sets_are_invalid_input(fused_samples, all_modality_layout, edit, field):
    """Parsing refuses what it can see in one set; the features refuse two values at one receiver."""
    with pytest.raises(InvalidInput) as info:
        _features([_broken(fused_samples[0]["measurement_set"], edit)], all_modality_layout)
    assert info.value.field == field


def test_sets_outside_the_layout_have_no_model(fused_samples, all_modality_layout):
    ms = fused_samples[0]["measurement_set"]
    unknown = _broken(ms, lambda m: m["receivers"].append({"id": "rx99", "lat": 45.1, "lon": 7.6, "alt_m": 0.0}))
    moved = _broken(ms, lambda m: m["receivers"][3].update(lat=m["receivers"][3]["lat"] + 0.01))
    rss_only = layout_from_measurement_sets(
        [parse_measurement_set(scenario_samples("rss-8db", 1, np.random.default_rng(1))[0]["measurement_set"])])
    for bad, layout, words in ((unknown, all_modality_layout, "rx99"), (moved, all_modality_layout, "from where"),
                               (ms, rss_only, "not trained on toa, aoa")):
        with pytest.raises(NoModelAvailable, match=words):
            _features([bad], layout)


def test_disconnected_tdoa_pairs_are_rejected(all_modality_layout):
    ms = {"receivers": g7_receivers(), "tdoa": [
        {"receiver": "rx1", "reference": "rx0", "tdoa_s": 1e-6, "sigma_s": 2e-7},
        {"receiver": "rx3", "reference": "rx2", "tdoa_s": 1e-6, "sigma_s": 2e-7},
    ]}
    with pytest.raises(InvalidInput, match="link"):
        _features([ms], all_modality_layout)


@pytest.fixture(scope="module")
def shard_batch():
    config = load_config({"seed": 3, "num_samples": 64, "network": "g7", "realism": "hardware",
                          "observation": {"time_measurement": "tdoa"}})
    return next(iter(generate(config, batch_size=64)))


def _reordered(batch, order):
    """The same samples as a shard of a network that lists its receivers in another order."""
    matrices = {f.name: getattr(batch, f.name)[:, order] for f in dataclasses.fields(batch)
                if isinstance(getattr(batch, f.name), np.ndarray) and getattr(batch, f.name).ndim == 2}
    inverse = np.argsort(order)
    meta = {**batch.meta, "receivers": [batch.meta["receivers"][i] for i in order]}
    return dataclasses.replace(batch, meta=meta, tdoa_reference=inverse[batch.tdoa_reference].astype(np.int16),
                               **matrices)


def test_shard_columns_land_on_the_layout_slots_whatever_the_receiver_order(shard_batch):
    columns = shard_batch.measurement_columns()
    layout = layout_from_measurement_sets([parse_measurement_set(shard_batch.sample(0)["measurement_set"])])
    layout = dataclasses.replace(layout, modalities=("rss", "toa", "tdoa", "aoa"))
    shuffled = _reordered(shard_batch, np.array([4, 6, 0, 2, 1, 5, 3]))
    assert shuffled.receivers().ids != columns.receivers.ids
    np.testing.assert_array_equal(build_features(shuffled.measurement_columns(), layout),
                                  build_features(columns, layout))


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [("rss_power_dbm", np.inf, "rss"), ("rss_sigma_db", 0.0, "rss"), ("aoa_sigma_deg", np.nan, "aoa"),
     ("aoa_bearing_deg", -np.inf, "aoa"), ("tdoa_reference", -1, "two different receivers")],
)
def test_damaged_columns_are_invalid_input(shard_batch, column, value, words):
    columns = shard_batch.measurement_columns()
    layout = layout_from_measurement_sets([parse_measurement_set(shard_batch.sample(0)["measurement_set"])])
    layout = dataclasses.replace(layout, modalities=("rss", "toa", "tdoa", "aoa"))
    damaged = getattr(columns, column).copy()
    row, receiver = np.argwhere(columns.tdoa_receiver >= 0)[0] if column.startswith("tdoa") else (0, 1)
    damaged[row, receiver] = value
    with pytest.raises(InvalidInput, match=words):
        build_features(dataclasses.replace(columns, **{column: damaged}), layout)


def test_a_row_without_measurements_is_insufficient(shard_batch):
    columns = shard_batch.measurement_columns()
    layout = layout_from_measurement_sets([parse_measurement_set(shard_batch.sample(0)["measurement_set"])])
    layout = dataclasses.replace(layout, modalities=("rss", "toa", "tdoa", "aoa"))
    empty = {name: np.where(np.arange(len(columns))[:, None] == 5, np.nan, getattr(columns, name))
             for name in ("rss_power_dbm", "toa_s", "aoa_bearing_deg", "tdoa_s")}
    empty["tdoa_receiver"] = np.where(np.arange(len(columns))[:, None] == 5, -1, columns.tdoa_receiver)
    with pytest.raises(InsufficientData) as info:
        build_features(dataclasses.replace(columns, **empty), layout)
    assert info.value.details == {"row": 5}


def test_layout_round_trips_and_inverts_its_frame(all_modality_layout):
    layout = ReceiverLayout.from_dict(all_modality_layout.to_dict())
    assert layout == all_modality_layout
    assert layout.modalities == ("rss", "toa", "tdoa", "aoa")
    en = np.array([[12_345.0, -30_000.0], [-1.0, 2.0], [39_000.0, 1_000.0]])
    alt = np.array([0.0, 100.0, 0.0])
    lat, lon = layout.en_to_geodetic(en, alt_m=alt)
    np.testing.assert_allclose(targets_en_m(lat, lon, alt, layout), en, atol=1e-3)
    with pytest.raises(InvalidInput, match="finite"):
        targets_en_m(lat, np.array([7.0, np.nan, 7.0]), alt, layout)


def test_layout_rejects_a_receiver_that_moves_between_samples():
    a = Receivers(ids=("r", "s"), lat_deg=np.array([45.0, 45.2]), lon_deg=np.array([7.0, 7.0]), alt_m=np.zeros(2))
    b = Receivers(ids=("r",), lat_deg=np.array([45.1]), lon_deg=np.array([7.0]), alt_m=np.zeros(1))
    with pytest.raises(InvalidInput, match="moves"):
        union_receivers([a, b])
    near = Receivers(ids=("t", "r"), lat_deg=np.array([45.3, 45.0003]), lon_deg=np.array([7.0, 7.0]), alt_m=np.zeros(2))
    assert union_receivers([a, near]).ids == ("r", "s", "t")
