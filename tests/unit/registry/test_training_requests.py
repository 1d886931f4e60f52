"""Checking a training request before any job exists: every refusal names what is wrong."""

from __future__ import annotations

import pytest

from heimdall.errors import Conflict, InvalidInput, NotFound
from heimdall.services.models.registry import Provenance
from heimdall.services.models.training import TRAINING_KIND, TrainingService


class JobsStub:
    """Stands in for JobService.create: records what would be queued."""

    def __init__(self) -> None:
        self.created: list[tuple[str, dict, str | None]] = []

    def create(self, kind, params, *, name=None):
        self.created.append((kind, params, name))
        return {"id": "job-1", "kind": kind, "status": "queued", "params": params}


@pytest.fixture
def jobs():
    return JobsStub()


@pytest.fixture
def service(session_factory, jobs, registry):
    return TrainingService(session_factory, jobs, registry)


def test_a_good_request_queues_a_training_job_with_the_full_config(service, jobs, dataset_row, network_ids):
    ids = [dataset_row(network_ids[0]), dataset_row(network_ids[0])]
    job = service.start({"name": "run", "dataset_ids": ids, "epochs": 3, "network": {"hidden_size": 32}})
    kind, params, name = jobs.created[0]
    assert job["kind"] == kind == TRAINING_KIND and name == "run"
    assert params["dataset_ids"] == ids and params["network_id"] == network_ids[0]
    assert params["config"]["epochs"] == 3 and params["config"]["network"]["hidden_size"] == 32
    assert params["config"]["batch_size"] == 256 and params["warm_start_model_id"] is None


@pytest.mark.parametrize("request_body, error, field", [
    ({"name": "r", "dataset_ids": []}, InvalidInput, "dataset_ids"),
    ({"name": "r"}, InvalidInput, "dataset_ids"),
    ({"name": "", "dataset_ids": ["x"]}, InvalidInput, "name"),
    ({"name": "r", "dataset_ids": ["x", "x"]}, InvalidInput, "dataset_ids"),
    ({"name": "r", "dataset_ids": ["unknown"]}, NotFound, None),
    ({"name": "r", "dataset_ids": ["x"], "epochz": 3}, InvalidInput, "epochz"),
    ({"name": "r", "dataset_ids": ["x"], "epochs": 0}, InvalidInput, "epochs"),
    ({"name": "r", "dataset_ids": ["x"], "network": {"hidden_size": 30, "attention_heads": 4}},
     InvalidInput, "attention_heads"),
    ({"name": "r", "dataset_ids": ["x"], "network": {"layers": 3}}, InvalidInput, "layers"),
])
def test_bad_requests_are_refused_before_any_job(service, jobs, request_body, error, field):
    with pytest.raises(error) as info:
        service.start(request_body)
    if field is not None:
        assert info.value.field == field
    assert jobs.created == []


def test_dataset_state_network_and_size_are_checked(service, jobs, dataset_row, network_ids):
    north, south = dataset_row(network_ids[0]), dataset_row(network_ids[1])
    with pytest.raises(InvalidInput, match="different networks"):
        service.start({"name": "r", "dataset_ids": [north, south]})
    with pytest.raises(Conflict, match="generating"):
        service.start({"name": "r", "dataset_ids": [dataset_row(network_ids[0], status="generating")]})
    with pytest.raises(InvalidInput, match="no samples"):
        service.start({"name": "r", "dataset_ids": [dataset_row(network_ids[0], num_samples=0)]})
    with pytest.raises(InvalidInput, match="too few"):
        service.start({"name": "r", "dataset_ids": [dataset_row(network_ids[0], num_samples=5)]})
    with pytest.raises(NotFound) as info:
        service.start({"name": "r", "dataset_ids": [north, "missing"]})
    assert info.value.details["unknown"] == ["missing"]
    assert jobs.created == []


def test_a_warm_start_takes_the_parents_network_shape_and_refuses_another(service, jobs, registry, trained,
                                                                          dataset_row, network_ids):
    ds = dataset_row(network_ids[0])
    with pytest.raises(NotFound):
        service.start({"name": "r", "dataset_ids": [ds], "warm_start_model_id": "nope"})
    parent = registry.register("parent", trained.onnx, trained.checkpoint, Provenance(network_id=network_ids[0]))
    with pytest.raises(InvalidInput) as info:
        service.start({"name": "r", "dataset_ids": [ds], "warm_start_model_id": parent["id"],
                       "network": {"hidden_size": 64}})
    assert info.value.field == "network"
    service.start({"name": "r", "dataset_ids": [ds], "warm_start_model_id": parent["id"]})
    params = jobs.created[-1][1]
    assert params["config"]["network"] == parent["training_config"]["network"]
    assert params["warm_start_model_id"] == parent["id"]
    without_checkpoint = registry.register("no ckpt", trained.onnx)
    with pytest.raises(InvalidInput, match="checkpoint"):
        service.start({"name": "r", "dataset_ids": [ds], "warm_start_model_id": without_checkpoint["id"]})
