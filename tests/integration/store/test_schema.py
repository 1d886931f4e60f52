"""Alembic migrations on SQLite and PostgreSQL: to head, idempotent, matching the table modules."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from heimdall.store.schema import current_revision, schema_differences, upgrade_database

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.scaled)])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    schema = f"heimdall_schema_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_upgrade_creates_the_job_tables_and_is_idempotent(empty_database):
    assert current_revision(empty_database) is None
    upgrade_database(empty_database)
    head = current_revision(empty_database)
    assert head is not None
    upgrade_database(empty_database)
    assert current_revision(empty_database) == head
    engine = create_engine(empty_database)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"jobs", "job_metrics", "alembic_version"} <= tables


def test_migrations_match_the_table_modules(empty_database):
    upgrade_database(empty_database)
    assert schema_differences(empty_database) == []
