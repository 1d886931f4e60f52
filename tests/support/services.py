"""The outside services integration tests use, and how a test asks for one."""

from __future__ import annotations

import os
import socket

import pytest

PG_ADMIN_URL = os.environ.get("HEIMDALL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def unavailable(message: str) -> None:
    """Skip locally; under CI=true a missing service is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_service(name: str, port: int, host: str = "127.0.0.1") -> None:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        unavailable(f"{name} at {host}:{port} is unreachable: {exc}")
