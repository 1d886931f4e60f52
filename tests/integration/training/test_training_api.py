"""Training jobs, the registry and neural serving through the real API (uvicorn, SQLite, local blobs)."""

from __future__ import annotations

import io
import zipfile

import pytest


def _train(client, dataset_ids, tiny, name="run", **options):
    response = client.post("/training-jobs", json={"name": name, "dataset_ids": dataset_ids, **tiny, **options})
    assert response.status_code == 202, response.text
    return response.json()["job"]


def test_train_register_deploy_and_localize_neurally(client, platform, tiny):
    dataset_id = platform.dataset()
    job = _train(client, [dataset_id], tiny)
    assert job["kind"] == "training" and job["status"] == "completed", job
    metrics = client.get(f"/jobs/{job['id']}/metrics").json()["items"]
    assert [m["epoch"] for m in metrics] == [1, 2] and all(m["metrics"]["median_error_m"] > 0 for m in metrics)
    models = client.get("/models").json()
    assert models["total"] == 1
    model = models["items"][0]
    assert model["id"] == job["result"]["model_id"] and model["job_id"] == job["id"]
    assert model["dataset_ids"] == [dataset_id] and model["network_id"] == platform.g7_network_id
    assert model["files"]["model.onnx"]["bytes"] > 1000 and model["files"]["checkpoint.pt"]["bytes"] > 1000
    assert set(model["layout"]["modalities"]) == {"toa", "rss", "aoa"} and len(model["layout"]["receivers"]) == 7
    ms = platform.sample_sets(dataset_id, 1)[0]
    refused = client.post("/localize", json={**ms, "method": "neural"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_model"
    assert client.post(f"/models/{model['id']}/deploy").json()["deployed"] is True
    located = client.post("/localize", json={**ms, "method": "neural"})
    assert located.status_code == 200, located.text
    result = located.json()
    assert result["method"].startswith("neural") and result["registered_model"]["id"] == model["id"]
    assert len(result["covariance_enu_m2"]) == 2 and [e["confidence"] for e in result["ellipses"]] == [0.68, 0.95]
    assert abs(result["lat"] - 45.0) < 1.0 and abs(result["lon"] - 7.5) < 1.5
    logged = platform.logged()
    assert ("models", "model.registered") in logged and ("models", "model.deployed") in logged
    assert logged.count((f"job:{job['id']}", "job.metrics")) == 2


def test_bad_training_requests(client, platform, tiny, expect_error):
    g7 = platform.dataset(num_samples=100)
    expect_error(client.post("/training-jobs", json={"name": "r", "dataset_ids": []}), 422, "invalid_input")
    missing = expect_error(client.post("/training-jobs", json={"name": "r", "dataset_ids": [g7, "nope"]}),
                           404, "not_found")
    assert missing["details"]["unknown"] == ["nope"]
    other = platform.dataset(platform.other_network(), num_samples=100)
    mixed = expect_error(client.post("/training-jobs", json={"name": "r", "dataset_ids": [g7, other]}),
                         422, "invalid_input")
    assert "different networks" in mixed["message"]
    bad_shape = client.post("/training-jobs", json={"name": "r", "dataset_ids": [g7],
                                                    "network": {"hidden_size": 30, "attention_heads": 4}})
    assert expect_error(bad_shape, 422, "invalid_input")["details"]["field"] == "attention_heads"
    unknown = client.post("/training-jobs", json={"name": "r", "dataset_ids": [g7], "epochz": 2})
    assert expect_error(unknown, 422, "invalid_input")["details"]["field"] == "epochz"
    assert client.get("/jobs", params={"kind": "training"}).json()["total"] == 0


def test_a_nan_loss_fails_the_job_with_its_reason_and_keeps_the_last_good_checkpoint(client, platform, tiny):
    from heimdall.services.models.training import TRAINING_KIND
    from heimdall.training import checkpoint_summary

    # The fault plan rides in the job's params: only an in-process caller can put it there.
    params, _ = platform.training.check({"name": "poisoned", "dataset_ids": [platform.dataset()], **tiny, "epochs": 3})
    created = platform.jobs.create(TRAINING_KIND, {**params, "faults": {"nan_loss_from_epoch": 2}}, name="poisoned")
    job = client.get(f"/jobs/{created['id']}").json()
    assert job["status"] == "failed" and "diverged" in job["reason"] and "last good checkpoint" in job["reason"]
    assert job["checkpoint_key"]
    kept = checkpoint_summary(platform.blobs.get_bytes(job["checkpoint_key"]))
    assert kept["position"]["epoch"] == 1 and kept["status"] == "running"
    assert client.get("/models").json()["total"] == 0


def test_export_import_round_trip_swap_and_delete(client, platform, tiny, expect_error):
    dataset_id = platform.dataset()
    original = _train(client, [dataset_id], tiny)["result"]["model_id"]
    exported = client.get(f"/models/{original}/export")
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    bundle = exported.content
    assert set(zipfile.ZipFile(io.BytesIO(bundle)).namelist()) == {"manifest.json", "model.onnx", "checkpoint.pt"}
    raw = client.post("/models/import", content=bundle, headers={"content-type": "application/zip"})
    assert raw.status_code == 201, raw.text
    copy = raw.json()
    assert copy["origin"]["id"] == original and copy["network_id"] == platform.g7_network_id
    multipart = client.post("/models/import", params={"name": "uploaded"},
                            files={"file": ("bundle.zip", bundle, "application/zip")})
    assert multipart.status_code == 201 and multipart.json()["name"] == "uploaded"
    corrupt = bundle[:100] + bytes(b ^ 0xFF for b in bundle[100:400]) + bundle[400:]
    expect_error(client.post("/models/import", content=corrupt), 422, "invalid_input")
    assert client.get("/models").json()["total"] == 3
    # Deploy the original, then the copy: /localize follows each deployment, with the same answers.
    ms = {**platform.sample_sets(dataset_id, 1)[0], "method": "neural"}
    client.post(f"/models/{original}/deploy")
    first = client.post("/localize", json=ms).json()
    client.post(f"/models/{copy['id']}/deploy")
    second = client.post("/localize", json=ms).json()
    assert first["registered_model"]["id"] == original and second["registered_model"]["id"] == copy["id"]
    assert (first["lat"], first["lon"]) == pytest.approx((second["lat"], second["lon"]), abs=1e-12)
    assert client.get(f"/models/{original}").json()["deployed"] is False
    renamed = client.patch(f"/models/{copy['id']}", json={"name": "renamed"})
    assert renamed.json()["name"] == "renamed"
    assert client.delete(f"/models/{copy['id']}").status_code == 204
    assert platform.blobs.list(f"models/{copy['id']}/") == []
    expect_error(client.get(f"/models/{copy['id']}"), 404, "not_found")
    expect_error(client.post("/localize", json=ms), 409, "no_model")
    assert ("models", "model.deleted") in platform.logged()
    auto = client.post("/localize", json={**ms, "method": "auto"})
    assert auto.status_code == 200 and auto.json()["method"].startswith("classical")


def test_a_warm_started_job_records_its_parent_and_takes_its_network_shape(client, platform, tiny):
    dataset_id = platform.dataset()
    parent = _train(client, [dataset_id], tiny, name="parent")["result"]["model_id"]
    options = {key: value for key, value in tiny.items() if key != "network"}
    child_job = _train(client, [platform.dataset(seed=9)], options, name="child", epochs=1,
                       warm_start_model_id=parent)
    assert child_job["status"] == "completed", child_job
    child = client.get(f"/models/{child_job['result']['model_id']}").json()
    parent_model = client.get(f"/models/{parent}").json()
    assert child["parent_model_id"] == parent and child["training_config"]["network"]["hidden_size"] == 16
    assert child["normalization"] == parent_model["normalization"]
