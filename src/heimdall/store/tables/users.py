"""Identity: users, API tokens, browser sessions, one-time login links, and the audit trail.

Secrets are never stored: passwords as argon2 hashes, tokens, session cookies and login links as
SHA-256 digests of 256-bit random values (docs/security.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from heimdall.store.db import Base, UTCDateTime, id_column_type, new_id, utcnow

ROLES = ("viewer", "operator", "admin")


def _role_column() -> Enum:
    return Enum(*ROLES, name="user_role", native_enum=False, create_constraint=True, length=16)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(_role_column())
    # None: no password yet (the first admin logs in through a one-time link).
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # "<issuer> <subject>" for a user who signs in through OpenID Connect (None: a local user).
    oidc_subject: Mapped[str | None] = mapped_column(String(600), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(_role_column())
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in lists so a user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SessionRow(Base):
    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginLinkRow(Base):
    __tablename__ = "login_links"

    id: Mapped[str] = mapped_column(id_column_type(), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AuditRow(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Who: a user name ("-" when nobody could be identified, "local" with authentication off).
    actor: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(2000))
    status: Mapped[int] = mapped_column(Integer)
    client: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ReceiverSecretRow(Base):
    """A receiver's password, encrypted (services/secretbox.py); one row per receiver that has one."""

    __tablename__ = "receiver_secrets"

    receiver_id: Mapped[str] = mapped_column(ForeignKey("receivers.id", ondelete="CASCADE"), primary_key=True)
    password_encrypted: Mapped[str] = mapped_column(String(4096))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
