"""Identity: users and roles, API tokens, browser sessions and one-time login links (docs/security.md).

``Identity`` bundles the three services the composition root builds; ``Principal`` is who a request
acts as, whatever proved it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from heimdall.services.users.accounts import UserService
from heimdall.services.users.principal import ROLES, Principal, role_at_least
from heimdall.services.users.sessions import SessionService
from heimdall.services.users.tokens import TokenService

__all__ = ["ROLES", "Identity", "Principal", "SessionService", "TokenService", "UserService", "role_at_least"]


@dataclass(frozen=True)
class Identity:
    users: UserService
    tokens: TokenService
    sessions: SessionService

    @classmethod
    def build(cls, session_factory: sessionmaker[Session], *, session_ttl_s: float) -> Identity:
        return cls(users=UserService(session_factory), tokens=TokenService(session_factory),
                   sessions=SessionService(session_factory, ttl_s=session_ttl_s))
