"""Who a request acts as, and the order of the roles: viewer < operator < admin."""

from __future__ import annotations

from dataclasses import dataclass

from heimdall.store.tables.users import ROLES

__all__ = ["LOCAL", "ROLES", "Principal", "role_at_least"]

_RANK = {role: rank for rank, role in enumerate(ROLES)}


def role_at_least(role: str, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may (unknown roles may do nothing)."""
    return role in _RANK and _RANK[role] >= _RANK[needed]


@dataclass(frozen=True)
class Principal:
    """``via``: ``session`` (the web app's cookie), ``token`` (an API token) or ``local`` (auth off)."""

    name: str
    role: str
    via: str
    user_id: str | None = None
    session_id: str | None = None
    # The SHA-256 of the session's CSRF token (cookie-authenticated writes must present the token).
    csrf_hash: str | None = None

    def may(self, needed: str) -> bool:
        return role_at_least(self.role, needed)


# Every request when authentication is turned off (a laptop on loopback only).
LOCAL = Principal(name="local", role="admin", via="local")
