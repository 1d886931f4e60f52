"""Registering, listing, renaming, deleting and deploying models (SQLite + local blobs)."""

from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput, NotFound
from heimdall.services.models.registry import Provenance


def test_register_stores_files_and_what_the_onnx_says(registry, blobs, events, trained, network_ids):
    model = registry.register("first", trained.onnx, trained.checkpoint,
                              Provenance(network_id=network_ids[0], dataset_ids=("d1", "d2")))
    assert sorted(blobs.list("")) == [f"models/{model['id']}/checkpoint.pt", f"models/{model['id']}/model.onnx"]
    assert registry.onnx_bytes(model["id"]) == trained.onnx
    assert registry.checkpoint_bytes(model["id"]) == trained.checkpoint
    assert model["network_id"] == network_ids[0] and model["dataset_ids"] == ["d1", "d2"]
    assert model["layout"]["modalities"] == ["rss"] and len(model["layout"]["receivers"]) == 7
    assert model["normalization"]["length_scale_m"] > 1000.0
    assert model["training_config"]["network"]["hidden_size"] == 16 and model["best_epoch"] in (1, 2)
    assert model["metrics"]["median_error_m"] > 0 and model["deployed"] is False
    assert model["files"]["model.onnx"]["bytes"] == len(trained.onnx)
    assert events.names() == [("networks", "network.created")] * 2 + [("models", "model.registered")]


def test_a_file_that_cannot_serve_is_refused_and_leaves_nothing(registry, blobs, trained):
    with pytest.raises(InvalidInput, match="ONNX"):
        registry.register("broken", b"not onnx at all", trained.checkpoint)
    assert blobs.list("") == [] and registry.list()["total"] == 0


def test_unknown_network_or_parent_become_null(registry, trained):
    first = registry.register("a", trained.onnx, None, Provenance(network_id="gone", parent_model_id="gone"))
    assert first["network_id"] is None and first["parent_model_id"] is None and first["files"]["checkpoint.pt"] is None
    with pytest.raises(NotFound):
        registry.checkpoint_bytes(first["id"])
    child = registry.register("b", trained.onnx, None, Provenance(parent_model_id=first["id"]))
    assert child["parent_model_id"] == first["id"]


def test_list_pages_newest_first_and_rename(registry, events, trained):
    ids = [registry.register(f"m{i}", trained.onnx)["id"] for i in range(3)]
    page = registry.list(offset=1, limit=1)
    assert page["total"] == 3 and [m["id"] for m in page["items"]] == [ids[1]]
    renamed = registry.update(ids[0], {"name": "  better  "})
    assert renamed["name"] == "better" and registry.get(ids[0])["name"] == "better"
    assert events.names()[-1] == ("models", "model.updated")
    with pytest.raises(InvalidInput) as info:
        registry.update(ids[0], {"layout": {}})
    assert info.value.field == "layout"
    with pytest.raises(InvalidInput):
        registry.update(ids[0], {"name": " "})
    with pytest.raises(NotFound):
        registry.update("nope", {"name": "x"})


def test_one_deployed_model_per_network(registry, events, trained, trained_other, network_ids):
    north_a = registry.register("north a", trained.onnx, provenance=Provenance(network_id=network_ids[0]))
    north_b = registry.register("north b", trained_other.onnx, provenance=Provenance(network_id=network_ids[0]))
    south = registry.register("south", trained.onnx, provenance=Provenance(network_id=network_ids[1]))
    registry.deploy(north_a["id"])
    registry.deploy(south["id"])
    deployed = registry.deploy(north_b["id"])
    assert deployed["deployed"] is True and deployed["deployed_at"]
    assert {m["id"] for m in registry.deployed()} == {north_b["id"], south["id"]}
    assert registry.get(north_a["id"])["deployed"] is False
    assert registry.list(deployed=True)["total"] == 2 and registry.list(deployed=False)["total"] == 1
    names = [event for _, event, _ in events.events]
    assert names[-2:] == ["model.undeployed", "model.deployed"]
    assert events.events[-1][2]["replaced_model_ids"] == [north_a["id"]]


def test_models_without_a_network_share_a_slot_by_receiver_layout(registry, trained, trained_other):
    a = registry.register("a", trained.onnx)
    b = registry.register("b", trained_other.onnx)
    registry.deploy(a["id"])
    registry.deploy(b["id"])
    assert [m["id"] for m in registry.deployed()] == [b["id"]]
    registry.undeploy(b["id"])
    assert registry.deployed() == []


def test_delete_removes_files_and_undeploys(registry, blobs, events, trained):
    model = registry.register("gone soon", trained.onnx, trained.checkpoint)
    registry.deploy(model["id"])
    deleted = registry.delete(model["id"])
    assert deleted["deployed"] is False and events.events[-1][1] == "model.deleted"
    assert blobs.list("") == [] and registry.deployed() == []
    with pytest.raises(NotFound):
        registry.get(model["id"])
    with pytest.raises(NotFound):
        registry.delete(model["id"])
