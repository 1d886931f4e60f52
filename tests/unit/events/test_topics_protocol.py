from __future__ import annotations

import pytest

from heimdall.errors import InvalidInput
from heimdall.events.protocol import PingOp, ProtocolError, SubscribeOp, UnsubscribeOp, parse_client_message
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
