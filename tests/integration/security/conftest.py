"""Fixtures of the security tests (they live in support/security.py)."""

from support.security import secured

__all__ = ["secured"]
