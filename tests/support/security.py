"""Security tests: a served platform with authentication on, an admin, an operator and a viewer (one token each)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from heimdall.platform.root import Platform
from support.platform import PlatformFactory, serving

PASSWORD = "correct horse battery"


@dataclass
class Secured:
    platform: Platform
    url: str
    tokens: dict[str, str]

    def client(self, role: str | None = None, **headers: str) -> httpx.Client:
        auth = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=f"{self.url}/api/v1", timeout=60, headers={**auth, **headers})


def add_users(platform: Platform) -> dict[str, str]:
    """admin/operator/viewer users (password PASSWORD) and one token each, named by role."""
    tokens = {}
    for role in ("admin", "operator", "viewer"):
        platform.identity.users.create(role, role, PASSWORD)
        tokens[role] = platform.identity.tokens.create(role, f"{role} token", role, None)[1]
    return tokens


@pytest.fixture
def secured(make_platform: PlatformFactory) -> Iterator[Secured]:
    platform = make_platform(auth_enabled=True, login_max_failures=3)
    tokens = add_users(platform)
    with serving(platform) as server:
        yield Secured(platform, server.http_url, tokens)
