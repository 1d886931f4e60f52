"""A private schema of the shared PostgreSQL ``test`` database, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from support.services import PG_ADMIN_URL, require_service


@contextmanager
def postgres_schema(prefix: str = "heimdall") -> Iterator[str]:
    """The URL of a new, empty schema (``search_path`` set in the URL); the schema goes afterwards."""
    require_service("PostgreSQL", 5432)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
