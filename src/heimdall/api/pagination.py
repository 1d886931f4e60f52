"""``offset``/``limit`` query parameters shared by every list endpoint (answers ``{"items", "total"}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int


def page_params(
    offset: Annotated[int, Query(ge=0, description="How many items to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many items")] = 50,
) -> Page:
    return Page(offset=offset, limit=limit)
