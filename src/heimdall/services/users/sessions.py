"""Browser sessions (an HttpOnly cookie plus a CSRF token) and one-time login links."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import NotFound
from heimdall.services.users.digests import digest, new_secret
from heimdall.services.users.principal import Principal
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.users import LoginLinkRow, SessionRow, UserRow

LOGIN_LINK_TTL_S = 3600.0
MAX_SECRET_CHARS = 200


class SessionService:
    def __init__(self, session_factory: sessionmaker[Session], *, ttl_s: float) -> None:
        self._sessions = session_factory
        self.ttl_s = ttl_s

    def open(self, user_id: str) -> tuple[str, str]:
        """(the session cookie's value, the session's CSRF token); only digests are stored."""
        cookie, csrf = new_secret(), new_secret()
        with transaction(self._sessions) as session:
            session.add(SessionRow(user_id=user_id, token_hash=digest(cookie), csrf_hash=digest(csrf),
                                   expires_at=utcnow() + timedelta(seconds=self.ttl_s)))
        return cookie, csrf

    def verify(self, cookie: str) -> Principal | None:
        """Who the cookie belongs to; None when unknown (forged), expired, closed, or the user disabled."""
        if not isinstance(cookie, str) or not cookie or len(cookie) > MAX_SECRET_CHARS:
            return None
        with self._sessions() as session:
            row = session.scalar(select(SessionRow).where(SessionRow.token_hash == digest(cookie)))
            if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
                return None
            user = session.get(UserRow, row.user_id)
            if user is None or user.disabled:
                return None
            return Principal(name=user.name, role=user.role, via="session", user_id=user.id,
                             session_id=row.id, csrf_hash=row.csrf_hash)

    def close(self, session_id: str) -> None:
        with transaction(self._sessions) as session:
            row = session.get(SessionRow, session_id)
            if row is not None and row.revoked_at is None:
                row.revoked_at = utcnow()

    def create_link(self, user_name: str, ttl_s: float = LOGIN_LINK_TTL_S) -> str:
        """A one-time login secret for ``user_name`` (goes into the link the console prints)."""
        secret = new_secret()
        with transaction(self._sessions) as session:
            user = session.scalar(select(UserRow).where(UserRow.name == user_name))
            if user is None:
                raise NotFound(f"no user named {user_name!r}", details={"resource": "user", "id": user_name})
            session.add(LoginLinkRow(user_id=user.id, token_hash=digest(secret),
                                     expires_at=utcnow() + timedelta(seconds=ttl_s)))
        return secret

    def consume_link(self, secret: str) -> Principal | None:
        """The link's user, once: a used, expired or unknown link gives None."""
        if not isinstance(secret, str) or not secret or len(secret) > MAX_SECRET_CHARS:
            return None
        now = utcnow()
        with transaction(self._sessions) as session:
            row = session.scalar(select(LoginLinkRow).where(LoginLinkRow.token_hash == digest(secret)))
            if row is None or row.used_at is not None or row.expires_at <= now:
                return None
            row.used_at = now
            user = session.get(UserRow, row.user_id)
            if user is None or user.disabled:
                return None
            user.last_login_at = now
            return Principal(name=user.name, role=user.role, via="session", user_id=user.id)

    def prune(self) -> int:
        """Forget sessions and login links that can no longer be used; how many rows went."""
        now = utcnow()
        statements = (
            delete(SessionRow).where(or_(SessionRow.expires_at <= now, SessionRow.revoked_at.is_not(None))),
            delete(LoginLinkRow).where(or_(LoginLinkRow.expires_at <= now, LoginLinkRow.used_at.is_not(None))),
        )
        with transaction(self._sessions) as session:
            return sum(cast(CursorResult[Any], session.execute(statement)).rowcount or 0 for statement in statements)
