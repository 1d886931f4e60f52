"""Secrets at rest (receiver passwords): Fernet (AES-128-CBC + HMAC-SHA256) with a key from the settings.

The key is ``secret_key`` (``HEIMDALL_SECRET_KEY``, a Fernet key: 32 url-safe base64 bytes); when it is
empty, ``<data_dir>/secret.key`` is used, created on first need with mode 0600. Every process that
must read a secret (the API, workers) needs the same key: a shared data directory or the setting.
Losing the key loses the secrets (they must be entered again), never anything else.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from heimdall.errors import InvalidInput, StorageError

KEY_FILE = "secret.key"


def _load_or_create_key(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    key = Fernet.generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()  # another process made it first
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class SecretBox:
    """Encrypts and decrypts short secrets; the key is read (or made) on first use."""

    def __init__(self, key: str, key_file: Path) -> None:
        self._configured = key.strip()
        self._key_file = key_file
        self._fernet: Fernet | None = None
        self._lock = threading.Lock()

    def _box(self) -> Fernet:
        with self._lock:
            if self._fernet is None:
                raw = self._configured.encode() if self._configured else _load_or_create_key(self._key_file)
                try:
                    self._fernet = Fernet(raw)
                except ValueError as exc:
                    raise InvalidInput("secret_key is not a Fernet key (32 url-safe base64-encoded bytes)",
                                       field="secret_key") from exc
            return self._fernet

    def encrypt(self, secret: str) -> str:
        return self._box().encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._box().decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise StorageError("a stored secret cannot be decrypted with this server's secret_key") from exc
