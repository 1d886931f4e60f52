"""Users: names, roles, argon2 password hashes; enable/disable; password authentication."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import Conflict, Forbidden, InvalidInput, NotFound
from heimdall.services.common import iso_z, name_clash_as_conflict, page
from heimdall.services.users.passwords import hash_password, verify_password
from heimdall.services.users.principal import ROLES, Principal
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.users import UserRow

FIRST_ADMIN_NAME = "admin"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def check_role(role: object) -> str:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: expected one of {list(ROLES)}", field="role")
    return str(role)


def check_user_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput("a user name is 1-64 letters, digits or . _ @ - (starting with a letter or digit)",
                           field="name")
    return name


def user_to_dict(row: UserRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "role": row.role, "disabled": row.disabled,
            "has_password": row.password_hash is not None, "created_at": iso_z(row.created_at),
            "last_login_at": iso_z(row.last_login_at) if row.last_login_at else None}


class UserService:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def create(self, name: str, role: str, password: str | None = None) -> dict[str, Any]:
        name, role = check_user_name(name), check_role(role)
        password_hash = hash_password(password) if password is not None else None
        with name_clash_as_conflict(name, "user"), transaction(self._sessions) as session:
            if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
                raise Conflict(f"a user named {name!r} already exists", field="name")
            row = UserRow(name=name, role=role, password_hash=password_hash)
            session.add(row)
            session.flush()
            return user_to_dict(row)

    def list(self, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        with self._sessions() as session:
            return page(session, select(UserRow), (UserRow.name,), user_to_dict, offset, limit)

    def get(self, name: str) -> dict[str, Any]:
        with self._sessions() as session:
            return user_to_dict(self._load(session, name))

    def update(self, name: str, *, role: str | None = None, disabled: bool | None = None,
               password: str | None = None) -> dict[str, Any]:
        new_hash = hash_password(password) if password is not None else None
        with transaction(self._sessions) as session:
            row = self._load(session, name)
            if role is not None:
                row.role = check_role(role)
            if disabled is not None:
                row.disabled = bool(disabled)
            if new_hash is not None:
                row.password_hash = new_hash
            self._keep_an_admin(session)
            return user_to_dict(row)

    def count(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)

    def authenticate(self, name: str, password: str) -> Principal | None:
        """The user if ``password`` is theirs and they are enabled; None otherwise, at the same cost."""
        with transaction(self._sessions) as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name)) if isinstance(name, str) else None
            matches = verify_password(row.password_hash if row is not None else None, password)
            if row is None or not matches or row.disabled:
                return None
            row.last_login_at = utcnow()
            return Principal(name=row.name, role=row.role, via="session", user_id=row.id)

    def sign_in_oidc(self, subject: str, name: object, role: str | None, default_role: str) -> Principal | None:
        """The user of an OpenID Connect ``subject`` ("<issuer> <sub>"), created on first sign-in with
        ``name`` and ``role`` (else ``default_role``); ``role``, when the provider sends one, is kept in
        step. None for a disabled user; Conflict when ``name`` belongs to another user."""
        with transaction(self._sessions) as session:
            row = session.scalar(select(UserRow).where(UserRow.oidc_subject == subject))
            if row is None:
                name = check_user_name(name)
                if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
                    raise Conflict(f"the user name {name!r} belongs to another account: ask an admin")
                row = UserRow(name=name, role=check_role(role or default_role), oidc_subject=subject)
                session.add(row)
            elif role is not None and role != row.role:
                row.role = check_role(role)
                self._keep_an_admin(session)
            if row.disabled:
                return None
            row.last_login_at = utcnow()
            session.flush()
            return Principal(name=row.name, role=row.role, via="session", user_id=row.id)

    def change_own_password(self, user_id: str, current: str | None, new: str) -> None:
        """A user sets their password; the current one is required once there is one."""
        new_hash = hash_password(new)
        with transaction(self._sessions) as session:
            row = session.get(UserRow, user_id)
            if row is None or row.oidc_subject is not None:
                raise Conflict("this account signs in elsewhere: it has no password here")
            if row.password_hash is not None and not verify_password(row.password_hash, current or ""):
                raise Forbidden("the current password is wrong")
            row.password_hash = new_hash

    def _load(self, session: Session, name: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.name == name)) if isinstance(name, str) else None
        if row is None:
            raise NotFound(f"no user named {name!r}", details={"resource": "user", "id": name})
        return row

    def _keep_an_admin(self, session: Session) -> None:
        session.flush()
        admins = select(func.count()).select_from(UserRow).where(UserRow.role == "admin", UserRow.disabled.is_(False))
        if not session.scalar(admins):
            raise Conflict("this change would leave no enabled admin")
