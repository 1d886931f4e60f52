"""The suite's shared pytest fixtures (registered by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from heimdall.platform.root import Platform
from support.events import EventRecorder
from support.moto import moto_server
from support.platform import PlatformFactory, assert_error
from support.postgres import postgres_schema
from support.processes import Processes
from support.services import AWS_ENV


@pytest.fixture
def make_platform(tmp_path: Path) -> Iterator[PlatformFactory]:
    """``make_platform(inline_jobs=True, wrap_blobs=None, hub_tuning=None, **settings)`` -> a Platform
    built by the composition root over a temporary SQLite file (closed after the test)."""
    factory = PlatformFactory(tmp_path)
    yield factory
    factory.close_all()


@pytest.fixture
def platform(make_platform: PlatformFactory) -> Platform:
    """One test platform: inline jobs, no demo network."""
    return make_platform()


@pytest.fixture
def recorder() -> EventRecorder:
    return EventRecorder()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for this test (skipped when unreachable, failed under CI=true)."""
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server for the whole session (buckets are per test)."""
    with moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials for boto3 in this process."""
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Start subprocesses through this (``processes(kind, name, env, argv)``); all stopped at teardown."""
    started = Processes(tmp_path)
    yield started
    started.stop_all()


@pytest.fixture
def expect_error():
    """``expect_error(response, status, code)`` -> the error object, after checking the one shape."""
    return assert_error
