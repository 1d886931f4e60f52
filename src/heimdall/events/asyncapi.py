"""The AsyncAPI 2.6 document of ``/ws``, generated from the code's own types.

``python -m heimdall.events.asyncapi > docs/asyncapi.yaml`` regenerates the committed file; a test
fails when the two differ, so the document cannot drift from ``EVENT_TYPES`` and the client ops.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from heimdall import __version__
from heimdall.events.envelope import EVENT_TYPES, EventType
from heimdall.events.protocol import CLIENT_OPS

REF = "#/components/schemas/{model}"

DESCRIPTION = """\
One WebSocket per browser tab carries every live event; the client subscribes to topics.
Every server message is an envelope {id, event, topic, timestamp, data}. Logged events have a
strictly increasing integer id; protocol messages (connected, subscribed, heartbeat, pong, error,
resync) have id null. Topics: jobs, job:<uuid>, datasets, models, receivers, networks,
localizations, system. A `jobs` subscription receives job.created/job.state/job.deleted of every
job; `job:<id>` receives everything of that job; a client subscribed to both gets each event once.
Subscribing with `after` replays every logged event with a greater id on those topics, in order,
then streams live ones with no gap and no duplicate. See docs/events.md.
"""


def build_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    server_messages = {name: _server_message(spec, schemas) for name, spec in EVENT_TYPES.items()}
    client_messages = {f"op.{name}": _client_message(name, model, schemas) for name, model in CLIENT_OPS.items()}
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Heimdall live events", "version": __version__, "description": " ".join(DESCRIPTION.split())},
        "servers": {"local": {"url": "127.0.0.1:8000", "protocol": "ws", "description": "heimdall serve"}},
        "defaultContentType": "application/json",
        "channels": {
            "/ws": {
                "description": "The one event socket (GET /ws).",
                "publish": {
                    "operationId": "sendClientOp",
                    "summary": "Messages the client sends.",
                    "message": {"oneOf": [{"$ref": f"#/components/messages/{name}"} for name in client_messages]},
                },
                "subscribe": {
                    "operationId": "receiveEvent",
                    "summary": "Messages the server sends (the envelope).",
                    "message": {"oneOf": [{"$ref": f"#/components/messages/{name}"} for name in server_messages]},
                },
            }
        },
        "components": {"messages": {**server_messages, **client_messages}, "schemas": dict(sorted(schemas.items()))},
    }


def _model_ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _server_message(spec: EventType, schemas: dict[str, Any]) -> dict[str, Any]:
    id_schema = {"type": "integer", "minimum": 1} if spec.logged else {"type": "null"}
    payload = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "event", "topic", "timestamp", "data"],
        "properties": {
            "id": id_schema,
            "event": {"type": "string", "const": spec.name},
            "topic": {"type": "string", "description": f"Topic: {spec.topic}"},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": _model_ref(spec.data, schemas),
        },
    }
    kind = "logged event" if spec.logged else "protocol message (not logged)"
    return {"name": spec.name, "title": spec.name, "summary": f"{spec.summary} ({kind})", "payload": payload}


def _client_message(name: str, model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "title": f"op {name}", "summary": (model.__doc__ or name).strip().splitlines()[0],
            "payload": _model_ref(model, schemas)}


def render() -> str:
    return yaml.safe_dump(build_document(), sort_keys=False, width=100, allow_unicode=True)


def event_catalog() -> dict[str, Any]:
    """What the web app generates its event names and payload types from (frontend/events.json):
    the same ``EVENT_TYPES`` and schemas as the AsyncAPI document, in a shape a script reads directly."""
    schemas: dict[str, Any] = {}
    payloads = {name: _model_ref(spec.data, schemas)["$ref"].rsplit("/", 1)[1] for name, spec in EVENT_TYPES.items()}
    return {
        "system_events": [name for name, spec in EVENT_TYPES.items() if not spec.logged],
        "logged_events": [name for name, spec in EVENT_TYPES.items() if spec.logged],
        "payloads": payloads,
        "schemas": dict(sorted(schemas.items())),
    }


def render_catalog() -> str:
    return json.dumps(event_catalog(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m heimdall.events.asyncapi`` prints the AsyncAPI YAML; ``--catalog [--out FILE]`` the catalog."""
    args = list(sys.argv[1:] if argv is None else argv)
    text = render_catalog() if "--catalog" in args else render()
    if "--out" in args:
        Path(args[args.index("--out") + 1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
