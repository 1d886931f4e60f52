"""API tokens for scripts: shown once, stored as a digest, named, scoped to a role, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput, NotFound
from heimdall.services.common import check_page, iso_z
from heimdall.services.users.accounts import check_role
from heimdall.services.users.digests import TOKEN_PREFIX, digest, new_secret
from heimdall.services.users.principal import Principal, role_at_least
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.users import ApiTokenRow, UserRow

MAX_TOKEN_TTL_S = 5 * 365 * 24 * 3600.0
# last_used_at is written at most this often per token (a busy script would write on every call).
LAST_USE_RESOLUTION_S = 60.0


def token_to_dict(row: ApiTokenRow, user_name: str) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "user": user_name, "role": row.role, "prefix": row.prefix,
            "created_at": iso_z(row.created_at), "expires_at": iso_z(row.expires_at) if row.expires_at else None,
            "revoked_at": iso_z(row.revoked_at) if row.revoked_at else None,
            "last_used_at": iso_z(row.last_used_at) if row.last_used_at else None}


def _check_token_fields(name: object, expires_in_s: float | None) -> str:
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise InvalidInput("a token needs a name of 1-200 characters", field="name")
    if expires_in_s is not None and not 0 < expires_in_s <= MAX_TOKEN_TTL_S:
        raise InvalidInput(f"expires_in_s must be in (0, {MAX_TOKEN_TTL_S:g}]", field="expires_in_s")
    return name.strip()


class TokenService:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def create(self, user_name: str, name: str, role: str, expires_in_s: float | None) -> tuple[dict[str, Any], str]:
        """(the token's record, the token itself): the only time the token is ever shown."""
        name, role = _check_token_fields(name, expires_in_s), check_role(role)
        secret = new_secret(TOKEN_PREFIX)
        with transaction(self._sessions) as session:
            user = session.scalar(select(UserRow).where(UserRow.name == user_name))
            if user is None:
                raise NotFound(f"no user named {user_name!r}", details={"resource": "user", "id": user_name})
            if not role_at_least(user.role, role):
                raise InvalidInput(f"user {user_name!r} is {user.role}: a token cannot have role {role}",
                                   field="role")
            expires = utcnow() + timedelta(seconds=expires_in_s) if expires_in_s is not None else None
            row = ApiTokenRow(name=name, user_id=user.id, role=role, token_hash=digest(secret),
                              prefix=secret[:10], expires_at=expires)
            session.add(row)
            session.flush()
            return token_to_dict(row, user.name), secret

    def list(self, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        check_page(offset, limit)
        query = select(ApiTokenRow, UserRow.name).join(UserRow, UserRow.id == ApiTokenRow.user_id)
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(ApiTokenRow)) or 0
            rows = session.execute(query.order_by(ApiTokenRow.created_at).offset(offset).limit(limit)).all()
            return {"items": [token_to_dict(row, user_name) for row, user_name in rows], "total": int(total)}

    def revoke(self, token_id: str) -> dict[str, Any]:
        with transaction(self._sessions) as session:
            row = session.get(ApiTokenRow, token_id) if isinstance(token_id, str) else None
            if row is None:
                raise NotFound(f"no token with id {token_id!r}", details={"resource": "token", "id": token_id})
            row.revoked_at = row.revoked_at or utcnow()
            user = session.get(UserRow, row.user_id)
            return token_to_dict(row, user.name if user is not None else "")

    def verify(self, secret: str) -> Principal | None:
        """Who the token acts as (its role, capped by its owner's), or None: unknown, expired, revoked."""
        if not isinstance(secret, str) or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        now = utcnow()
        with transaction(self._sessions) as session:
            row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest(secret)))
            user = session.get(UserRow, row.user_id) if row is not None else None
            if row is None or user is None or user.disabled or row.revoked_at is not None:
                return None
            if row.expires_at is not None and row.expires_at <= now:
                return None
            if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= LAST_USE_RESOLUTION_S:
                row.last_used_at = now
            role = row.role if role_at_least(user.role, row.role) else user.role
            return Principal(name=user.name, role=role, via="token", user_id=user.id)
