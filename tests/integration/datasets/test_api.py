"""/api/v1/datasets on a real uvicorn: the contract's endpoints, the one error shape, the events."""

from __future__ import annotations

import uuid

import pytest

from .conftest import TOY_OPTIONS, TOY_RECEIVERS, expect_error


@pytest.fixture
def network_id(client) -> str:
    ids = [client.post("/receivers", json=fields).json()["id"] for fields in TOY_RECEIVERS]
    return client.post("/networks", json={"name": "toy", "receiver_ids": ids}).json()["id"]


def _body(network_id: str, **changes) -> dict:
    return {"name": "toy", "network_id": network_id, "num_samples": 500, "shard_size": 200, **TOY_OPTIONS, **changes}


def test_create_browse_expand_rename_delete(client, network_id, platform):
    created = client.post("/datasets", json=_body(network_id))
    assert created.status_code == 202, created.text
    dataset, job = created.json()["dataset"], created.json()["job"]
    assert uuid.UUID(dataset["id"]) and dataset["job_id"] == job["id"] and job["kind"] == "dataset.generate"
    assert client.get(f"/jobs/{job['id']}").json()["status"] == "completed"
    shown = client.get(f"/datasets/{dataset['id']}").json()
    assert shown["status"] == "ready" and shown["num_samples"] == 500 and shown["validation"]["ok"]
    page = client.get("/datasets", params={"offset": 0, "limit": 10}).json()
    assert page["total"] == 1 and page["items"][0]["id"] == dataset["id"]

    samples = client.get(f"/datasets/{dataset['id']}/samples", params={"offset": 195, "limit": 10}).json()
    assert samples["total"] == 500 and [s["sample_id"] for s in samples["items"]] == list(range(195, 205))
    assert samples["items"][0]["measurement_set"]["frequency_hz"] == 145_500_000
    stats = client.get(f"/datasets/{dataset['id']}/statistics").json()
    assert stats["n_samples"] == 500 and set(stats["histograms"]) >= {"snr_db", "gdop", "crlb_rms_m"}
    health = client.post(f"/datasets/{dataset['id']}/validate").json()
    assert health["ok"] is True and health["samples_found"] == 500

    expanded = client.post(f"/datasets/{dataset['id']}/expand", json={"num_samples": 100})
    assert expanded.status_code == 202 and expanded.json()["job"]["params"]["start_index"] == 500
    assert client.get(f"/datasets/{dataset['id']}").json()["num_samples"] == 600
    tail = client.get(f"/datasets/{dataset['id']}/samples", params={"offset": 590, "limit": 100}).json()["items"]
    assert [s["sample_id"] for s in tail] == list(range(590, 600))

    renamed = client.patch(f"/datasets/{dataset['id']}", json={"name": "toy-500"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "toy-500"
    assert client.delete(f"/datasets/{dataset['id']}").status_code == 204
    expect_error(client.get(f"/datasets/{dataset['id']}"), 404, "not_found")
    assert platform.blob_keys() == []
    events = [event for event, _ in platform.logged()]
    assert events[0] == "dataset.created" and events[-1] == "dataset.deleted" and "dataset.updated" in events


def test_name_clash_is_409_and_unknown_ids_404(client, network_id):
    assert client.post("/datasets", json=_body(network_id, num_samples=20)).status_code == 202
    other = client.post("/datasets", json=_body(network_id, name="other", num_samples=20)).json()["dataset"]
    expect_error(client.post("/datasets", json=_body(network_id, num_samples=20)), 409, "conflict")
    expect_error(client.patch(f"/datasets/{other['id']}", json={"name": "toy"}), 409, "conflict")
    missing = str(uuid.uuid4())
    for response in (client.get(f"/datasets/{missing}"), client.delete(f"/datasets/{missing}"),
                     client.get(f"/datasets/{missing}/samples"), client.get(f"/datasets/{missing}/statistics"),
                     client.post(f"/datasets/{missing}/expand", json={"num_samples": 5})):
        expect_error(response, 404, "not_found")
    expect_error(client.post("/datasets", json=_body(str(uuid.uuid4()))), 404, "not_found")


@pytest.mark.parametrize(("changes", "field"), [
    ({"frequency_hz": -145e6}, "frequency_hz"),
    ({"transmitters": {"signal_types": {"nbfm_voice": 0.6, "cw": 0.6}}}, "transmitters.signal_types"),
    ({"transmitters": {"signal_types": {"smoke_signals": 1.0}}}, "transmitters.signal_types"),
    ({"propagation": {"model": "itm"}}, "propagation.terrain"),
    ({"realism": "dreamy"}, "realism"),
    ({"num_samples": 0}, "num_samples"),
    ({"colour": "red"}, "colour"),
])
def test_bad_configs_are_422_naming_the_field(client, network_id, changes, field):
    error = expect_error(client.post("/datasets", json=_body(network_id, **changes)), 422, "invalid_input")
    assert error["details"]["field"] == field
    assert client.get("/datasets").json()["total"] == 0 and client.get("/jobs").json()["total"] == 0


def test_an_empty_network_is_422(client):
    empty = client.post("/networks", json={"name": "empty"}).json()
    error = expect_error(client.post("/datasets", json={"name": "x", "network_id": empty["id"], "num_samples": 5}),
                         422, "invalid_input")
    assert error["details"]["field"] == "network_id"
