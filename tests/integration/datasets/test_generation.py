"""The dataset service and the dataset.generate job, end to end over SQLite and a local blob store."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import update

from heimdall.errors import Conflict, InvalidInput, NotFound
from heimdall.jobs.repository import JOBS
from heimdall.services.datasets.shards import dataset_prefix
from heimdall.store.db import transaction
from heimdall.synth import generate, load_config, write_shard

from .conftest import TOY_OPTIONS, FailingBlobs


def _create(platform, network, name="toy", num_samples=600, shard_size=200, **options):
    return platform.datasets.create({"name": name, "network_id": network["id"], "num_samples": num_samples,
                                     "shard_size": shard_size, **TOY_OPTIONS, **options})


def test_generate_from_a_network_commits_every_shard_and_is_ready(platform, network):
    result = _create(platform, network)
    dataset, job = result["dataset"], result["job"]
    assert job["status"] == "completed" and job["kind"] == "dataset.generate"
    assert dataset["status"] == "ready" and dataset["job_id"] == job["id"] and dataset["error"] is None
    assert dataset["num_samples"] == dataset["requested_samples"] == 600
    assert [s["start_index"] for s in dataset["shards"]] == [0, 200, 400]
    assert dataset["validation"]["ok"] is True and dataset["validation"]["samples_found"] == 600
    assert dataset["statistics"]["n_samples"] == 600 and dataset["statistics"]["gdop"]["median"] is not None
    # The config is the full resolved one: the network's receivers (by id, in order), seed, schema version.
    config = dataset["config"]
    assert config["schema_version"] == 1 and config["seed"] == 1
    assert [rx["id"] for rx in config["network"]] == network["receiver_ids"]
    assert [rx["s_meter"] for rx in config["network"]] == [False, False, True, True]
    for shard in dataset["shards"]:
        data = platform.local_blobs.get_bytes(shard["key"])
        assert hashlib.sha256(data).hexdigest() == shard["sha256"] and len(data) == shard["bytes"]
    assert platform.blob_keys() == sorted(s["key"] for s in dataset["shards"])
    events = [event for event, _ in platform.logged()]
    assert events[0] == "dataset.created" and events.count("dataset.shard_added") == 3
    assert "dataset.updated" in events
    assert platform.logged()[-1][1]["status"] == "ready"


def test_samples_are_paginated_across_shards(platform, network):
    dataset = _create(platform, network)["dataset"]
    page = platform.datasets.samples(dataset["id"], offset=190, limit=20)
    assert page["total"] == 600
    assert [s["sample_id"] for s in page["items"]] == list(range(190, 210))
    sample = page["items"][0]
    assert set(sample) >= {"sample_id", "truth", "measurement_set", "snr_db", "gdop"}
    assert [r["id"] for r in sample["measurement_set"]["receivers"]] == network["receiver_ids"]
    assert sample["measurement_set"]["rss"] and -90 <= sample["truth"]["lat"] <= 90
    tail = platform.datasets.samples(dataset["id"], offset=590, limit=50)["items"]
    assert [s["sample_id"] for s in tail] == list(range(590, 600))
    assert platform.datasets.samples(dataset["id"], offset=600, limit=5)["items"] == []
    with pytest.raises(InvalidInput) as error:
        platform.datasets.samples(dataset["id"], offset=0, limit=501)
    assert error.value.field == "limit"


def test_statistics_hold_the_histograms(platform, network):
    dataset = _create(platform, network)["dataset"]
    stats = platform.datasets.statistics(dataset["id"])
    assert stats["n_samples"] == 600 and stats["dataset_id"] == dataset["id"]
    assert set(stats["histograms"]) >= {"snr_db", "gdop", "crlb_rms_m"}
    assert sum(stats["histograms"]["gdop"]["counts"]) == 600
    assert sum(stats["signal_types"].values()) == 600 and set(stats["signal_types"]) <= {"nbfm_voice", "fsk4"}


def test_expand_appends_new_ids_under_the_same_config(platform, network):
    dataset = _create(platform, network)["dataset"]
    result = platform.datasets.expand(dataset["id"], 250, shard_size=200)
    expanded = result["dataset"]
    assert result["job"]["status"] == "completed" and result["job"]["params"]["start_index"] == 600
    assert expanded["status"] == "ready" and expanded["num_samples"] == expanded["requested_samples"] == 850
    assert expanded["config"] == dataset["config"]
    assert [s["start_index"] for s in expanded["shards"]] == [0, 200, 400, 600, 800]
    ids = [s["sample_id"] for s in platform.datasets.samples(expanded["id"], offset=0, limit=500)["items"]]
    ids += [s["sample_id"] for s in platform.datasets.samples(expanded["id"], offset=500, limit=500)["items"]]
    assert ids == list(range(850)) and len(set(ids)) == 850
    assert expanded["validation"]["ok"] and expanded["statistics"]["n_samples"] == 850
    # The appended samples are exactly what one run of the config would give for those ids.
    config = load_config(dataset["config"])
    reference = next(generate(config, 600, 200, batch_size=200))
    assert platform.local_blobs.get_bytes(expanded["shards"][3]["key"]) == write_shard(reference)


def test_rename_and_name_clashes(platform, network):
    first = _create(platform, network, name="one", num_samples=50)["dataset"]
    _create(platform, network, name="two", num_samples=50)
    renamed = platform.datasets.update(first["id"], {"name": "uno"})
    assert renamed["name"] == "uno" and platform.datasets.get(first["id"])["name"] == "uno"
    with pytest.raises(Conflict):
        platform.datasets.update(first["id"], {"name": "two"})
    with pytest.raises(Conflict):
        _create(platform, network, name="uno", num_samples=50)
    with pytest.raises(InvalidInput) as error:
        platform.datasets.update(first["id"], {"status": "ready"})
    assert error.value.field == "status"
    assert platform.datasets.list()["total"] == 2


def test_delete_removes_the_blobs_and_the_row(platform, network):
    keep = _create(platform, network, name="keep", num_samples=50)["dataset"]
    dataset = _create(platform, network, name="drop", num_samples=300)["dataset"]
    assert platform.blob_keys(dataset_prefix(dataset["id"]))
    platform.datasets.delete(dataset["id"])
    assert platform.blob_keys(dataset_prefix(dataset["id"])) == []
    assert platform.blob_keys(dataset_prefix(keep["id"])) == [keep["shards"][0]["key"]]
    with pytest.raises(NotFound):
        platform.datasets.get(dataset["id"])
    assert platform.logged()[-1][0] == "dataset.deleted"


def test_delete_is_refused_while_the_job_is_active(platform, network):
    platform.jobs.executor = None  # the job stays queued: nobody runs it
    dataset = _create(platform, network, num_samples=50)["dataset"]
    assert dataset["status"] == "generating" and dataset["job_id"]
    with pytest.raises(Conflict) as error:
        platform.datasets.delete(dataset["id"])
    assert error.value.details["job_status"] == "queued"
    with pytest.raises(Conflict):
        platform.datasets.expand(dataset["id"], 10)
    # Cancelled while queued: the job never ran, and reading the dataset settles it.
    platform.jobs.cancel(dataset["job_id"])
    settled = platform.datasets.get(dataset["id"])
    assert settled["status"] == "failed" and "cancelled" in settled["error"]
    platform.datasets.delete(dataset["id"])
    assert platform.datasets.list()["total"] == 0


def test_pause_and_resume_give_the_same_bytes_as_one_run(platform, network, fast_controls):
    def pause_after_first_shard(envelope):
        if envelope["event"] == "dataset.shard_added" and envelope["data"]["num_samples"] == 200:
            platform.jobs.pause(envelope["data"]["job_id"])

    platform.hooks.append(pause_after_first_shard)
    result = _create(platform, network, num_samples=800)
    platform.hooks.clear()
    job, paused = result["job"], result["dataset"]
    assert job["status"] == "paused" and job["has_checkpoint"]
    assert paused["status"] == "generating" and paused["num_samples"] == 200
    resumed = platform.jobs.resume(job["id"])
    assert resumed["status"] == "queued"
    done = platform.datasets.get(paused["id"])
    assert platform.jobs.get(job["id"])["status"] == "completed"
    assert done["status"] == "ready" and done["num_samples"] == 800
    config = load_config(done["config"])
    expected = [write_shard(batch) for batch in generate(config, 0, 800, batch_size=200)]
    stored = [platform.local_blobs.get_bytes(shard["key"]) for shard in done["shards"]]
    assert stored == expected
    steps = [e["data"]["step"] for e in platform.publish.log.read_after(0) if e["event"] == "job.progress"]
    assert steps[-1] == 800 and 200 in steps


def test_cancel_keeps_the_committed_samples_as_a_partial_dataset(platform, network, fast_controls):
    def cancel_after_first_shard(envelope):
        if envelope["event"] == "dataset.shard_added" and envelope["data"]["num_samples"] == 200:
            platform.jobs.cancel(envelope["data"]["job_id"])

    platform.hooks.append(cancel_after_first_shard)
    result = _create(platform, network, num_samples=800)
    assert result["job"]["status"] == "cancelled"
    dataset = result["dataset"]
    assert dataset["status"] == "ready" and dataset["num_samples"] == 200 and dataset["requested_samples"] == 800
    assert "cancelled" in dataset["error"] and dataset["statistics"] is None
    assert platform.blob_keys() == [dataset["shards"][0]["key"]]
    # Statistics are computed on demand, and the partial dataset can be expanded.
    assert platform.datasets.statistics(dataset["id"])["n_samples"] == 200
    platform.hooks.clear()
    expanded = platform.datasets.expand(dataset["id"], 100)["dataset"]
    assert expanded["num_samples"] == 300 and expanded["error"] is None


def test_a_paused_generation_cancelled_later_is_settled_on_read(platform, network, fast_controls):
    platform.hooks.append(lambda e: e["event"] == "dataset.shard_added" and e["data"]["num_samples"] == 200
                          and platform.jobs.pause(e["data"]["job_id"]))
    job = _create(platform, network, num_samples=600)["job"]
    platform.hooks.clear()
    platform.jobs.cancel(job["id"])
    dataset = platform.datasets.list()["items"][0]
    assert dataset["status"] == "ready" and dataset["num_samples"] == 200 and "cancelled" in dataset["error"]


@pytest.mark.parametrize("succeed", [0, 1])
def test_a_storage_failure_fails_the_job_and_registers_no_half_shard(platform_factory, succeed):
    platform = platform_factory(blobs=lambda inner: FailingBlobs(inner, succeed))
    network = platform.make_network()
    result = _create(platform, network, num_samples=600)
    job, dataset = result["job"], result["dataset"]
    assert job["status"] == "failed" and "no space left on device" in job["reason"]
    assert dataset["status"] == "failed" and "no space left on device" in dataset["error"]
    assert dataset["num_samples"] == 200 * succeed and len(dataset["shards"]) == succeed
    # Only registered shards exist: the failed write left nothing behind.
    assert platform.blob_keys() == [shard["key"] for shard in dataset["shards"]]
    with pytest.raises(Conflict):
        platform.datasets.expand(dataset["id"], 10)
    platform.datasets.delete(dataset["id"])
    assert platform.blob_keys() == []


def test_an_expansion_that_fails_leaves_the_dataset_ready(platform_factory):
    platform = platform_factory(blobs=lambda inner: FailingBlobs(inner, 3))
    network = platform.make_network()
    dataset = _create(platform, network, num_samples=600)["dataset"]
    assert dataset["status"] == "ready"
    result = platform.datasets.expand(dataset["id"], 200)
    assert result["job"]["status"] == "failed"
    after = result["dataset"]
    assert after["status"] == "ready" and after["num_samples"] == 600 and "no space" in after["error"]


def test_a_worker_lost_job_settles_the_dataset(platform, network):
    platform.jobs.executor = None
    dataset = _create(platform, network, num_samples=50)["dataset"]
    with transaction(platform.session_factory) as session:
        session.execute(update(JOBS).where(JOBS.c.id == dataset["job_id"])
                        .values(status="failed", reason="worker lost (heartbeat lapsed)"))
    settled = platform.datasets.get(dataset["id"])
    assert settled["status"] == "failed" and "worker lost" in settled["error"]
    assert platform.logged()[-1] == ("dataset.updated", settled)


@pytest.mark.parametrize(("options", "field"), [
    ({"frequency_hz": -1.0}, "frequency_hz"),
    ({"transmitters": {"signal_types": {"nbfm_voice": 0.5}}}, "transmitters.signal_types"),
    ({"transmitters": {"signal_types": {"morse_by_lamp": 1.0}}}, "transmitters.signal_types"),
    ({"num_samples": 0}, "num_samples"),
    ({"shard_size": 0}, "shard_size"),
    ({"shard_size": 63}, "shard_size"),
    ({"shard_size": True}, "shard_size"),
    ({"colour": "red"}, "colour"),
])
def test_bad_requests_name_the_field_and_leave_nothing(platform, network, options, field):
    with pytest.raises(InvalidInput) as error:
        platform.datasets.create({"name": "bad", "network_id": network["id"], "num_samples": 10, **options})
    assert error.value.field == field
    assert platform.datasets.list()["total"] == 0 and platform.jobs.list()[1] == 0


def test_an_empty_network_or_an_unknown_one_is_refused(platform):
    empty = platform.networks.create({"name": "empty"})
    with pytest.raises(InvalidInput) as error:
        platform.datasets.create({"name": "x", "network_id": empty["id"], "num_samples": 10})
    assert error.value.field == "network_id"
    with pytest.raises(NotFound):
        platform.datasets.create({"name": "x", "network_id": "0" * 36, "num_samples": 10})


def test_the_migration_creates_the_datasets_table_as_declared(tmp_path):
    from heimdall.store.schema import schema_differences, upgrade_database

    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade_database(url)
    mine = [d for d in schema_differences(url) if "datasets" in repr(d)]
    assert mine == []


def test_an_iq_dataset_stores_npz_shards_and_shows_an_iq_summary(platform, network):
    # realism "ideal": at "hardware" the simulator's IQ-measured TDoAs break its own baseline check (reported).
    dataset = _create(platform, network, num_samples=3, shard_size=2, realism="ideal",
                      iq={"enabled": True, "duration_s": 0.05})["dataset"]
    assert dataset["status"] == "ready" and dataset["has_iq"] and dataset["validation"]["ok"]
    assert [(s["start_index"], s["count"]) for s in dataset["shards"]] == [(0, 2), (2, 1)]
    assert all(s["iq_key"].endswith(".iq.npz") for s in dataset["shards"])
    assert len(platform.blob_keys()) == 4
    sample = platform.datasets.samples(dataset["id"], offset=1, limit=2)["items"][0]
    iq = sample["iq"]
    assert iq["sample_rate_hz"] == 50_000.0 and iq["samples_per_capture"] == 2500
    assert [c["receiver"] for c in iq["captures"]] == network["receiver_ids"]
    assert all(c["power_dbfs"] < 0 for c in iq["captures"])
