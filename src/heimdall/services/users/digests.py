"""Random secrets and their digests: what a client holds vs. what the database keeps.

Tokens, session cookies and login links are 256-bit random values; the database keeps only their
SHA-256 (a fast hash is right for high-entropy secrets; passwords get argon2, see passwords.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "hmd_"


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def same_digest(secret: str, expected_digest: str) -> bool:
    """Constant-time comparison of ``secret``'s digest with ``expected_digest``."""
    return hmac.compare_digest(digest(secret), expected_digest)
