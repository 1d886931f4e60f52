"""Client messages of ``/ws``: subscribe, unsubscribe, ping. Anything else is answered with ``error``."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from heimdall.errors import InvalidInput
from heimdall.events.topics import validate_topic

MAX_TOPICS_PER_OP = 256


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubscribeOp(_Op):
    """Subscribe to topics; with `after`, replay logged events with a greater id first."""

    op: Literal["subscribe"]
    topics: list[str] = Field(min_length=1, max_length=MAX_TOPICS_PER_OP)
    after: int | None = Field(default=None, ge=0, description="Replay logged events with a greater id first")


class UnsubscribeOp(_Op):
    """Stop receiving these topics."""

    op: Literal["unsubscribe"]
    topics: list[str] = Field(min_length=1, max_length=MAX_TOPICS_PER_OP)


class PingOp(_Op):
    """Ask for a pong (keepalive)."""

    op: Literal["ping"]


class AuthOp(_Op):
    """Authenticate (first message only, when the handshake carried no cookie or Authorization header)."""

    op: Literal["auth"]
    token: str = Field(min_length=1, max_length=200, description="An API token (never put it in the URL)")


ClientOp = Annotated[SubscribeOp | UnsubscribeOp | PingOp | AuthOp, Field(discriminator="op")]
CLIENT_OPS: dict[str, type[BaseModel]] = {"subscribe": SubscribeOp, "unsubscribe": UnsubscribeOp, "ping": PingOp,
                                          "auth": AuthOp}
_adapter: TypeAdapter[SubscribeOp | UnsubscribeOp | PingOp | AuthOp] = TypeAdapter(ClientOp)


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_client_message(text: str | bytes) -> SubscribeOp | UnsubscribeOp | PingOp | AuthOp:
    """The op in ``text``, or ProtocolError(code, message) saying what is wrong with it."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("invalid_json", f"message is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ProtocolError("invalid_message", "message must be a JSON object with an 'op'")
    op = document.get("op")
    if op not in CLIENT_OPS:
        raise ProtocolError("unknown_op", f"unknown op {op!r}: expected one of {sorted(CLIENT_OPS)}")
    try:
        parsed = _adapter.validate_python(document)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or 'message'}: {e['msg']}" for e in exc.errors())
        raise ProtocolError("invalid_message", problems) from exc
    for topic in getattr(parsed, "topics", []):
        try:
            validate_topic(topic)
        except InvalidInput as exc:
            raise ProtocolError("invalid_topic", exc.message) from exc
    return parsed
