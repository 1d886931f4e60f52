from __future__ import annotations

import json

import pytest

from heimdall.errors import InvalidInput
from heimdall.events.protocol import (
    MAX_ERROR_CHARS,
    MAX_MESSAGE_BYTES,
    MAX_TOPICS_PER_OP,
    PingOp,
    ProtocolError,
    SubscribeOp,
    UnsubscribeOp,
    parse_client_message,
)
from heimdall.events.topics import subscription_keys, validate_event_name, validate_topic

JOB = "job:7f3c1d2e-0000-4000-8000-000000000001"


@pytest.mark.parametrize("topic", ["jobs", "datasets", "models", "receivers", "localizations", "system", JOB])
def test_valid_topics(topic):
    assert validate_topic(topic) == topic


@pytest.mark.parametrize("topic", ["", "job", "job:", "job:not-a-uuid", "Jobs", "dataset", 7, None])
def test_invalid_topics(topic):
    with pytest.raises(InvalidInput):
        validate_topic(topic)


@pytest.mark.parametrize("name", ["job", "Job.state", "job.", ".x", "job state", ""])
def test_invalid_event_names(name):
    with pytest.raises(InvalidInput):
        validate_event_name(name)


def test_lifecycle_events_also_route_to_jobs():
    assert subscription_keys(JOB, "job.state") == (JOB, "jobs")
    assert subscription_keys(JOB, "job.created") == (JOB, "jobs")
    assert subscription_keys(JOB, "job.progress") == (JOB,)
    assert subscription_keys("datasets", "dataset.created") == ("datasets",)


def test_parse_ops():
    op = parse_client_message(f'{{"op": "subscribe", "topics": ["jobs", "{JOB}"], "after": 12}}')
    assert isinstance(op, SubscribeOp) and op.after == 12 and op.topics == ["jobs", JOB]
    assert isinstance(parse_client_message('{"op": "ping"}'), PingOp)
    assert isinstance(parse_client_message('{"op": "unsubscribe", "topics": ["jobs"]}'), UnsubscribeOp)
    assert parse_client_message(b'{"op": "subscribe", "topics": ["models"]}').after is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{nope", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        ('{"topics": ["jobs"]}', "unknown_op"),
        ('{"op": "shout"}', "unknown_op"),
        ('{"op": "subscribe", "topics": []}', "invalid_message"),
        ('{"op": "subscribe", "topics": "jobs"}', "invalid_message"),
        ('{"op": "subscribe", "topics": ["jobs"], "after": -1}', "invalid_message"),
        ('{"op": "subscribe", "topics": ["jobs"], "after": "x"}', "invalid_message"),
        ('{"op": "ping", "extra": 1}', "invalid_message"),
        ('{"op": "subscribe", "topics": ["job:nope"]}', "invalid_topic"),
        (b"\xff\xfe", "invalid_json"),
    ],
)
def test_bad_messages_name_their_problem(text, code):
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(text)
    assert caught.value.code == code
    assert caught.value.message


def test_the_largest_valid_message_fits_the_frame_cap():
    topics = [f"job:{index:08x}-0000-4000-8000-000000000001" for index in range(MAX_TOPICS_PER_OP)]
    largest = json.dumps({"op": "subscribe", "topics": topics, "after": 2**63 - 1})
    assert len(largest) <= MAX_MESSAGE_BYTES
    assert isinstance(parse_client_message(largest), SubscribeOp)
    assert 4 * len(largest) >= MAX_MESSAGE_BYTES  # a few KiB: what the protocol needs, not megabytes


def test_a_message_over_the_cap_is_refused_before_parsing():
    with pytest.raises(ProtocolError) as error:
        parse_client_message(json.dumps({"op": "ping", "pad": "x" * MAX_MESSAGE_BYTES}))
    assert error.value.code == "message_too_large" and len(error.value.message) < 200
    with pytest.raises(ProtocolError) as error:
        parse_client_message(b"{" + b" " * MAX_MESSAGE_BYTES + b"}")
    assert error.value.code == "message_too_large"
    # Multi-byte characters count as bytes, not characters.
    with pytest.raises(ProtocolError):
        parse_client_message(json.dumps({"op": "ping", "pad": "é" * (MAX_MESSAGE_BYTES // 2 + 10)}, ensure_ascii=False))


@pytest.mark.parametrize("message", [
    {"op": "subscribe", "topics": ["y" * 12_000]},
    {"op": "x" * 12_000},
    {"op": "subscribe", "topics": ["jobs"], "z" * 12_000: 1},
    {"op": "subscribe", "topics": ["jobs"], **{f"extra{i}" + "q" * 100: i for i in range(90)}},
])
def test_errors_never_echo_unbounded_input(message):
    with pytest.raises(ProtocolError) as error:
        parse_client_message(json.dumps(message))
    assert len(error.value.message) <= MAX_ERROR_CHARS + 3
    assert "x" * 100 not in error.value.message and "y" * 100 not in error.value.message
