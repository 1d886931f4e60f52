"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from heimdall.errors import InvalidInput

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024

_hasher = PasswordHasher()
# Verified against when the user does not exist, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("heimdall-no-such-user-dummy-password")


def check_password_rules(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidInput(f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters",
                           field="password")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password_rules(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no stored hash, a dummy verification of the same cost."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
