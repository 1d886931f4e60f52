"""Small helpers shared by the services: the publish signature, timestamps, paging, JSON hygiene."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heimdall.errors import Conflict, InvalidInput, NotFound

RowT = TypeVar("RowT")

# publish(topic, event, data): the event publisher of heimdall.events, or any stand-in with that shape.
Publish = Callable[[str, str, dict[str, Any]], Any]

MAX_PAGE_LIMIT = 1000


def iso_z(moment: datetime) -> str:
    """UTC ISO 8601 with a ``Z`` suffix (CONTRACT: times in JSON)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_page(offset: int, limit: int) -> None:
    if offset < 0:
        raise InvalidInput("offset must be >= 0", field="offset")
    if not 1 <= limit <= MAX_PAGE_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_LIMIT}", field="limit")


def page_of(items: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    """One page of items already filtered in Python (a filter SQL cannot express portably), same shape as ``page``."""
    check_page(offset, limit)
    return {"items": items[offset:offset + limit], "total": len(items)}


def page(session: Session, query: Select[Any], order_by: tuple[Any, ...], to_dict: Callable[[Any], dict[str, Any]],
         offset: int, limit: int) -> dict[str, Any]:
    """One page of ``query`` as ``{"items": [...], "total": N}`` (the list shape of CONTRACT section 2)."""
    check_page(offset, limit)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(*order_by).offset(offset).limit(limit))
    return {"items": [to_dict(row) for row in rows], "total": total}


def finite_json(value: Any) -> Any:
    """``value`` with every NaN/inf float replaced by None, so it is valid JSON for any consumer."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(item) for item in value]
    return value


def require_finite(value: Any, field: str, *, low: float = -math.inf, high: float = math.inf) -> float:
    """``value`` as a float, or InvalidInput naming ``field`` if it is not a finite number in range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{field} must be a number", field=field)
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{field} must be finite", field=field)
    if not low <= number <= high:
        raise InvalidInput(f"{field} must be in [{low:g}, {high:g}]", field=field)
    return number


def load_row(session: Session, row_type: type[RowT], row_id: Any, resource: str) -> RowT:
    """The row of ``row_type`` with ``row_id``, or NotFound naming the resource (ids are strings)."""
    row = session.get(row_type, row_id) if isinstance(row_id, str) else None
    if row is None:
        raise NotFound(f"no {resource} with id {row_id!r}", details={"resource": resource, "id": row_id})
    return row


def ensure_name_free(session: Session, row_type: Any, name: str, resource: str) -> None:
    """Conflict naming the field when another row of ``row_type`` already has ``name``."""
    if session.scalar(select(row_type.id).where(row_type.name == name)) is not None:
        raise Conflict(f"a {resource} named {name!r} already exists", field="name")


@contextmanager
def name_clash_as_conflict(name: str, resource: str) -> Iterator[None]:
    """Turns a unique-constraint race (two writers, one name) into the Conflict the pre-check gives."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(f"a {resource} named {name!r} already exists", field="name") from exc
