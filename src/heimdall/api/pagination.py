"""``offset``/``limit`` query parameters shared by every list endpoint (answers ``{"items", "total"}``).

Offsets and cursors are bounded by ``MAX_OFFSET`` (2^53 - 1, the largest integer a JSON number holds
exactly in every client): beyond it the database's 64-bit integers overflow (a 500 before the bound),
and no table holds that many rows, so a larger value is a client error (422), never a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

MAX_LIMIT = 1000
MAX_OFFSET = 2**53 - 1

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many items to skip")]


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int


def page_params(
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many items")] = 50,
) -> Page:
    return Page(offset=offset, limit=limit)
