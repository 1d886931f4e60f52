"""Database schema management: Alembic migrations applied programmatically (no alembic.ini).

``upgrade_database(url)`` brings any SQLite or PostgreSQL database to the newest revision; every
process may call it at start. Concurrent callers are serialised (a PostgreSQL advisory lock, a file
lock next to a SQLite file) so two servers starting together do not race on DDL.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from heimdall.errors import StorageError
from heimdall.store.db import Base, make_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# An arbitrary constant: the advisory-lock key that serialises migrations on PostgreSQL.
_PG_MIGRATION_LOCK_KEY = 0x4E1D_A11


def load_all_tables() -> None:
    """Import every module of ``heimdall.store.tables`` so ``Base.metadata`` knows every table."""
    from heimdall.store import tables

    for module in pkgutil.iter_modules(tables.__path__):
        importlib.import_module(f"{tables.__name__}.{module.name}")


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not an option: ConfigParser would choke on '%' in passwords.
    config.attributes["database_url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` on the database at ``url``."""
    engine = make_engine(url)
    try:
        with _migration_lock(engine, url), engine.begin() as connection:
            command.upgrade(alembic_config(url, connection), revision)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot migrate database {make_url(url).render_as_string()}: {exc}") from exc
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            from alembic.migration import MigrationContext

            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def schema_differences(url: str) -> list[Any]:
    """Differences between the migrated database and ``Base.metadata`` (empty when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    load_all_tables()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


@contextlib.contextmanager
def _migration_lock(engine: Engine, url: str) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as lock_connection:
            lock_connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                lock_connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY})
                lock_connection.commit()
        return
    database = make_url(url).database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
