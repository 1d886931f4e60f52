import copy
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from heimdall.errors import InvalidInput, NoModelAvailable
from heimdall.inference import OnnxPredictor, ellipses_from_covariance
from heimdall.inference.regions import rotate_en_covariance
from heimdall.locate import parse_measurement_set
from heimdall.nn.features import CH, build_features

RESULT_KEYS = {"lat", "lon", "alt_m", "covariance_enu_m2", "ellipses", "method", "used", "outliers", "gdop",
               "elapsed_ms"}


def test_onnx_matches_pytorch_on_random_inputs(trained):
    import torch

    from heimdall.nn.network import MetricLocalizer
    from heimdall.training import network_from_checkpoint

    checkpoint, onnx_bytes, samples = trained
    predictor = OnnxPredictor(onnx_bytes)
    real = build_features([parse_measurement_set(s["measurement_set"]) for s in samples[:32]], predictor.layout)
    rng = np.random.default_rng(0)
    noisy = real * rng.uniform(0.5, 1.5, size=real.shape).astype(np.float32)
    noisy[..., CH["present"]] = rng.uniform(size=real.shape[:2]) < 0.8
    noisy[:, 0, CH["present"]] = 1.0
    features = np.concatenate([real, noisy]).astype(np.float32)
    with torch.no_grad():
        expected = MetricLocalizer(network_from_checkpoint(checkpoint))(torch.from_numpy(features))
    mean_m, cov_m2 = predictor.predict_features(features)
    np.testing.assert_allclose(mean_m, expected[0].numpy(), rtol=1e-4, atol=0.5)
    np.testing.assert_allclose(cov_m2, expected[1].numpy(), rtol=1e-3, atol=1e-2 * float(expected[1].abs().max()))


def test_predict_gives_contract_results(trained):
    _, onnx_bytes, samples = trained
    predictor = OnnxPredictor(onnx_bytes)
    sets = [parse_measurement_set(s["measurement_set"]) for s in samples[:5]]
    batch = predictor.predict_batch(sets)
    single = predictor.predict(sets[2])
    assert set(single) == RESULT_KEYS and single["method"] == "neural+refined"
    assert single["used"] == {"rss": 7, "toa": 3, "tdoa": 0, "aoa": 2}
    assert single["lat"] == pytest.approx(batch[2]["lat"], abs=1e-7)  # float32 kernels vary with batch size
    cov = np.array(single["covariance_enu_m2"])
    assert np.allclose(cov, cov.T) and np.all(np.linalg.eigvalsh(cov) > 0)
    e68, e95 = single["ellipses"]
    assert (e68["confidence"], e95["confidence"]) == (0.68, 0.95)
    assert e95["semi_major_m"] > e68["semi_major_m"] >= e68["semi_minor_m"] > 0
    json.dumps(batch)  # plain JSON all the way down
    mean_en, _ = predictor.predict_features(build_features(sets, predictor.layout))
    lat, _ = predictor.layout.en_to_geodetic(mean_en, 0.0)
    np.testing.assert_allclose([r["lat"] for r in batch], lat)
    assert predictor.metadata["training_config"]["network"]["mixture_components"] == 2
    assert predictor.predict_batch([]) == []


def test_sets_the_network_does_not_fit_are_refused(trained):
    _, onnx_bytes, samples = trained
    predictor = OnnxPredictor(onnx_bytes)
    ms = samples[0]["measurement_set"]
    stranger = copy.deepcopy(ms)
    stranger["receivers"].append({"id": "kiwi-far-away", "lat": 50.0, "lon": 9.0, "alt_m": 0.0})
    with pytest.raises(NoModelAvailable, match="kiwi-far-away"):
        predictor.predict(parse_measurement_set(stranger))
    tdoa = copy.deepcopy(ms)
    tdoa["tdoa"] = [{"receiver": "rx1", "reference": "rx0", "tdoa_s": 1e-6, "sigma_s": 2e-7}]
    with pytest.raises(NoModelAvailable, match="tdoa") as info:
        predictor.predict(parse_measurement_set(tdoa))
    assert info.value.code == "no_model" and info.value.http_status == 409


def test_the_transmitter_altitude_comes_from_the_set(trained):
    _, onnx_bytes, samples = trained
    predictor = OnnxPredictor(onnx_bytes)
    ms = samples[0]["measurement_set"]
    ground, high = (predictor.predict(parse_measurement_set({**ms, "transmitter_alt_m": alt})) for alt in (0.0, 900.0))
    assert ground["lat"] != high["lat"] and ground["lat"] == pytest.approx(high["lat"], abs=1e-3)


def test_files_that_are_not_neural_localizers_are_invalid(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    with pytest.raises(InvalidInput, match="ONNX"):
        OnnxPredictor(b"\x00garbage")
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    plain = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(InvalidInput, match="not a Heimdall"):
        OnnxPredictor(plain.SerializeToString())
    assert onnx.checker.check_model(plain) is None


def test_inference_never_imports_torch(trained, tmp_path):
    _, onnx_bytes, samples = trained
    (tmp_path / "net.onnx").write_bytes(onnx_bytes)
    (tmp_path / "set.json").write_text(json.dumps(samples[0]["measurement_set"]))
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from heimdall.inference import OnnxPredictor
        from heimdall.locate import parse_measurement_set
        predictor = OnnxPredictor(Path({str(tmp_path / 'net.onnx')!r}).read_bytes())
        ms = parse_measurement_set(json.loads(Path({str(tmp_path / 'set.json')!r}).read_text()))
        result = predictor.predict(ms)
        print(json.dumps({{"torch": "torch" in sys.modules, "method": result["method"]}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"torch": False, "method": "neural+refined"}


def test_ellipses_mean_what_they_say():
    cov = np.array([[[16.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 4.0]], [[2.0, 1.0], [1.0, 2.0]]])
    east, north, diagonal = ellipses_from_covariance(cov)
    assert east[0]["orientation_deg"] == pytest.approx(90.0)
    assert east[0]["semi_major_m"] == pytest.approx(4.0 * np.sqrt(-2 * np.log(0.32)))
    assert east[0]["semi_minor_m"] == pytest.approx(np.sqrt(-2 * np.log(0.32)))
    assert north[1]["orientation_deg"] == pytest.approx(0.0, abs=1e-9) or north[1]["orientation_deg"] == pytest.approx(180.0)
    assert diagonal[0]["orientation_deg"] == pytest.approx(45.0)
    assert diagonal[1]["semi_major_m"] == pytest.approx(np.sqrt(3.0 * -2 * np.log(0.05)))


def test_covariance_rotation_between_nearby_frames():
    cov = np.array([[[4.0e6, 1.0e6], [1.0e6, 2.0e6]]])
    same = rotate_en_covariance(cov, 45.0, 7.5, np.array([45.0]), np.array([7.5]))
    np.testing.assert_allclose(same, cov)
    moved = rotate_en_covariance(cov, 45.0, 7.5, np.array([45.0]), np.array([8.0]))
    assert not np.allclose(moved, cov)
    np.testing.assert_allclose(np.trace(moved[0]), np.trace(cov[0]), rtol=1e-4)
