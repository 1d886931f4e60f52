"""``heimdall doctor``: what is installed and reachable, and the active configuration. Never fails."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import click

from heimdall.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
_SECRET_FIELDS = ("database_url", "broker_url", "events_url", "blob_url")


@click.command()
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="YAML config file to check with the environment.")
def doctor(config_file: str | None) -> None:
    """Report torch, onnxruntime, GPU, Redis, PostgreSQL, S3, RabbitMQ, chromium and the configuration."""
    from heimdall import __version__
    from heimdall.errors import HeimdallError
    from heimdall.settings import load_settings

    click.echo(f"heimdall {__version__}")
    settings: Settings | None
    try:
        settings = load_settings(Path(config_file) if config_file else None)
    except HeimdallError as exc:
        click.echo(f"configuration: INVALID ({exc.message}); using defaults")
        settings = load_settings(None) if not os.environ.get("HEIMDALL_CONFIG") else None
    click.echo("\npackages")
    for line in package_lines():
        click.echo(f"  {line}")
    click.echo("\nservices")
    for line in service_lines(settings):
        click.echo(f"  {line}")
    click.echo("\nconfiguration")
    for line in config_lines(settings):
        click.echo(f"  {line}")


def package_lines() -> list[str]:
    lines = [_torch_line()]
    for name in ("onnxruntime", "sqlalchemy", "celery", "redis", "psycopg", "boto3"):
        lines.append(f"{name}: {_version(name)}")
    lines.append(f"chromium: {'found at ' + str(CHROMIUM) if CHROMIUM.exists() else 'not found at ' + str(CHROMIUM)}")
    return lines


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _torch_line() -> str:
    try:
        torch = importlib.import_module("torch")
    except Exception as exc:  # noqa: BLE001 - doctor reports every failure and carries on
        return f"torch: not available ({exc.__class__.__name__}); GPU: unknown"
    try:
        if torch.cuda.is_available():
            names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
            gpu = f"CUDA {torch.version.cuda}: {names}"
        else:
            gpu = "none (CPU only)"
    except Exception as exc:  # noqa: BLE001
        gpu = f"unknown ({exc.__class__.__name__})"
    return f"torch: {torch.__version__}; GPU: {gpu}"


def service_lines(settings: Settings | None) -> list[str]:
    if settings is None:
        return ["(no valid configuration)"]
    checks: list[tuple[str, str, Callable[[str], str]]] = [
        ("database", settings.database_url, _check_database),
        ("blobs", settings.blob_url if settings.blob_url.startswith("s3://") else "", _check_s3),
        ("broker", settings.broker_url, _check_broker),
        ("events", settings.events_url, _check_redis),
    ]
    lines = []
    for label, url, check in checks:
        if not url:
            lines.append(f"{label}: embedded")
            continue
        try:
            lines.append(f"{label}: {_redact(url)}: {check(url)}")
        except Exception as exc:  # noqa: BLE001 - an unreachable service is a finding, not a crash
            lines.append(f"{label}: {_redact(url)}: UNREACHABLE ({exc.__class__.__name__}: {str(exc)[:160]})")
    return lines


def _check_database(url: str) -> str:
    from sqlalchemy import text

    from heimdall.store.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version()" if engine.dialect.name == "postgresql"
                                              else "SELECT sqlite_version()")).scalar()
    finally:
        engine.dispose()
    return f"ok ({engine.dialect.name} {' '.join(str(version).split()[:2])})"


def _check_s3(url: str) -> str:
    from heimdall.settings import load_settings
    from heimdall.store.blob import make_blob_store

    store = make_blob_store(url, load_settings().s3_endpoint_url)
    store.list("doctor-probe/")
    return "ok (S3 bucket listable)"


def _check_broker(url: str) -> str:
    scheme = urlparse(url).scheme
    if scheme.startswith("redis"):
        return _check_redis(url)
    return _check_tcp(url, default_port=5672) + " (RabbitMQ)"


def _check_redis(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        info = client.info("server")
    finally:
        client.close()
    return f"ok (Redis {info.get('redis_version', '?')})"


def _check_tcp(url: str, default_port: int) -> str:
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
        return "ok (port open)"


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def config_lines(settings: Settings | None) -> list[str]:
    if settings is None:
        return []
    values = settings.model_dump(mode="json")
    values["resolved_database_url"] = settings.resolved_database_url
    values["resolved_blob_url"] = settings.resolved_blob_url
    lines = []
    for key in sorted(values):
        value = values[key]
        if isinstance(value, str) and (key in _SECRET_FIELDS or key.startswith("resolved_")):
            value = _redact(value)
        lines.append(f"{key}: {value}")
    return lines
