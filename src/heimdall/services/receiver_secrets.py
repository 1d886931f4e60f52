"""Receiver passwords (a KiwiSDR's, an OpenWebRX's), encrypted at rest and never shown.

The API only ever says whether a receiver has one (``has_password``, ``updated_at``); setting or
clearing one publishes nothing and logs nothing; jobs that connect to the receiver call
``password_of``. The ciphertext is in ``receiver_secrets`` (deleted with its receiver).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heimdall.errors import InvalidInput
from heimdall.services.common import iso_z, load_row
from heimdall.services.secretbox import SecretBox
from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.receivers import ReceiverRow
from heimdall.store.tables.users import ReceiverSecretRow

MAX_PASSWORD_CHARS = 256


def _status(row: ReceiverSecretRow | None) -> dict[str, Any]:
    return {"has_password": row is not None, "updated_at": iso_z(row.updated_at) if row is not None else None}


class ReceiverSecrets:
    def __init__(self, session_factory: sessionmaker[Session], box: SecretBox) -> None:
        self._sessions = session_factory
        self._box = box

    def set_password(self, receiver_id: str, password: object) -> dict[str, Any]:
        if not isinstance(password, str) or not 1 <= len(password) <= MAX_PASSWORD_CHARS:
            raise InvalidInput(f"a receiver password has 1 to {MAX_PASSWORD_CHARS} characters", field="password")
        encrypted = self._box.encrypt(password)
        with transaction(self._sessions) as session:
            load_row(session, ReceiverRow, receiver_id, "receiver")
            row = session.get(ReceiverSecretRow, receiver_id)
            if row is None:
                row = ReceiverSecretRow(receiver_id=receiver_id, password_encrypted=encrypted)
                session.add(row)
            else:
                row.password_encrypted, row.updated_at = encrypted, utcnow()
            session.flush()
            return _status(row)

    def clear_password(self, receiver_id: str) -> None:
        with transaction(self._sessions) as session:
            load_row(session, ReceiverRow, receiver_id, "receiver")
            row = session.get(ReceiverSecretRow, receiver_id)
            if row is not None:
                session.delete(row)

    def status(self, receiver_id: str) -> dict[str, Any]:
        with self._sessions() as session:
            load_row(session, ReceiverRow, receiver_id, "receiver")
            return _status(session.get(ReceiverSecretRow, receiver_id))

    def password_of(self, receiver_id: str) -> str | None:
        """The receiver's password in clear, for a client connecting to it (None: it has none)."""
        with self._sessions() as session:
            row = session.get(ReceiverSecretRow, receiver_id)
            encrypted = row.password_encrypted if row is not None else None
        return self._box.decrypt(encrypted) if encrypted is not None else None
