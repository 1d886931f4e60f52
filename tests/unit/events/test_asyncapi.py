"""The committed AsyncAPI document is exactly what the code generates, and names every event."""

from __future__ import annotations

from pathlib import Path

import yaml

from heimdall.events.asyncapi import build_document
from heimdall.events.envelope import EVENT_TYPES, PROTOCOL_EVENTS
from heimdall.events.protocol import CLIENT_OPS

DOC = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.yaml"

CONTRACT_EVENTS = {
    "connected", "subscribed", "heartbeat", "pong", "error", "resync", "job.created", "job.state", "job.deleted",
    "job.progress", "job.metrics", "dataset.created", "dataset.updated", "dataset.deleted", "model.registered",
    "model.deployed", "model.deleted", "receiver.created", "receiver.updated", "receiver.deleted",
    "receiver.health", "localization.result",
}


def _documented_server_events(document: dict) -> set[str]:
    messages = document["components"]["messages"]
    return {message["name"] for key, message in messages.items() if not key.startswith("op.")}


def test_committed_document_is_generated_from_the_code():
    committed = yaml.safe_load(DOC.read_text())
    assert committed == build_document(), "regenerate: python -m heimdall.events.asyncapi > docs/asyncapi.yaml"


def test_every_code_event_is_documented_and_vice_versa():
    committed = yaml.safe_load(DOC.read_text())
    assert _documented_server_events(committed) == set(EVENT_TYPES)
    ops = {message["name"] for key, message in committed["components"]["messages"].items() if key.startswith("op.")}
    assert ops == set(CLIENT_OPS)


def test_the_contract_events_all_exist():
    assert set(EVENT_TYPES) >= CONTRACT_EVENTS
    assert {"connected", "subscribed", "heartbeat", "pong", "error", "resync"} == PROTOCOL_EVENTS


def test_protocol_messages_have_null_ids_and_logged_ones_integers():
    messages = build_document()["components"]["messages"]
    for name, spec in EVENT_TYPES.items():
        id_schema = messages[name]["payload"]["properties"]["id"]
        assert id_schema["type"] == ("integer" if spec.logged else "null"), name
