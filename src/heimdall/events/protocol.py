"""Client messages of ``/ws``: subscribe, unsubscribe, ping. Anything else is answered with ``error``."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from heimdall.errors import InvalidInput
from heimdall.events.topics import MAX_TOPIC_CHARS, shown, validate_topic

MAX_TOPICS_PER_OP = 256
# The largest message the protocol needs: a subscribe with MAX_TOPICS_PER_OP of the longest topics,
# each quoted with a comma and a space (44 bytes), plus the op, an 'after' of 20 digits and spacing
# (under 200 bytes): 11.5 KB. Rounded up to 16 KiB; a bigger frame is refused before it is parsed
# (uvicorn closes the connection with 1009 at this size, see heimdall.api.server).
MAX_MESSAGE_BYTES = 16 * 1024
# An error message never exceeds this, whatever the client sent.
MAX_ERROR_CHARS = 300


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
    size = len(text) if isinstance(text, bytes) or len(text) > MAX_MESSAGE_BYTES else len(text.encode())
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError("message_too_large", f"a message may hold at most {MAX_MESSAGE_BYTES} bytes, "
                                                 f"this one has {size}")
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("invalid_json", f"message is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ProtocolError("invalid_message", "message must be a JSON object with an 'op'")
    op = document.get("op")
    if op not in CLIENT_OPS:
        raise ProtocolError("unknown_op", f"unknown op {shown(op)}: expected one of {sorted(CLIENT_OPS)}")
    try:
        parsed = _adapter.validate_python(document)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        raise ProtocolError("invalid_message", _cut(problems)) from exc
    for topic in getattr(parsed, "topics", []):
        try:
            validate_topic(topic)
        except InvalidInput as exc:
            raise ProtocolError("invalid_topic", _cut(exc.message)) from exc
    return parsed


def _where(loc: tuple[int | str, ...]) -> str:
    # An extra field's name is the client's input: shown cut, like every other echoed value.
    return ".".join(part if len(part) <= MAX_TOPIC_CHARS else shown(part) for part in map(str, loc)) or "message"


def _cut(message: str) -> str:
    return message if len(message) <= MAX_ERROR_CHARS else message[:MAX_ERROR_CHARS] + "..."
