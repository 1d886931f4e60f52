"""Single sign-on through OpenID Connect, against a local provider the test starts."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from support.oidc import CLIENT_ID, CLIENT_SECRET, FakeProvider, fake_provider
from support.platform import serving
from support.security import add_users


@pytest.fixture
def sso(make_platform) -> Iterator[tuple[FakeProvider, str]]:
    with fake_provider() as provider:
        platform = make_platform(auth_enabled=True, oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                                 oidc_client_secret=CLIENT_SECRET, oidc_role_claim="heimdall_role")
        add_users(platform)
        with serving(platform) as server:
            yield provider, server.http_url


def _sign_in(url: str, browser: httpx.Client) -> httpx.Response:
    """Follow the dance by hand: Heimdall -> provider -> Heimdall's callback."""
    start = browser.get(f"{url}/api/v1/auth/oidc/login")
    assert start.status_code == 303, start.text
    back = httpx.get(start.headers["location"], timeout=60)
    assert back.status_code == 302
    return browser.get(back.headers["location"])


def test_a_provider_user_signs_in_with_the_role_its_claim_names(sso):
    provider, url = sso
    options = httpx.get(f"{url}/api/v1/auth/options", timeout=60).json()
    assert options == {"auth_enabled": True, "oidc_login_url": "/api/v1/auth/oidc/login"}
    with httpx.Client(timeout=60) as browser:
        done = _sign_in(url, browser)
        assert done.status_code == 303 and done.headers["location"] == "/", done.text
        assert browser.get(f"{url}/api/v1/auth/me").json() == {"name": "olga", "role": "operator", "via": "session",
                                                               "auth_enabled": True}
    provider.claims["heimdall_role"] = ["viewer"]
    with httpx.Client(timeout=60) as browser:
        _sign_in(url, browser)
        assert browser.get(f"{url}/api/v1/auth/me").json()["role"] == "viewer"  # kept in step with the provider


@pytest.mark.parametrize("tamper", [{"aud": "someone-else"}, {"iss": "https://evil.example"},
                                    {"exp": 1_000_000_000}, {"nonce": "replayed"}])
def test_an_id_token_that_does_not_hold_is_refused(sso, tamper, expect_error):
    provider, url = sso
    provider.tamper = tamper
    with httpx.Client(timeout=60) as browser:
        expect_error(_sign_in(url, browser), 401, "unauthorized")
        expect_error(browser.get(f"{url}/api/v1/receivers"), 401, "unauthorized")


def test_a_forged_state_or_a_reused_code_is_refused(sso, expect_error):
    provider, url = sso
    with httpx.Client(timeout=60) as browser:
        start = browser.get(f"{url}/api/v1/auth/oidc/login")
        back = httpx.get(start.headers["location"], timeout=60).headers["location"]
        forged = back.replace("state=", "state=x")
        expect_error(browser.get(forged), 401, "unauthorized")
        assert browser.get(back).status_code == 303
        expect_error(browser.get(back), 401, "unauthorized")  # the provider refuses the code twice
    with httpx.Client(timeout=60) as stranger:  # a callback this browser never started
        expect_error(stranger.get(back), 401, "unauthorized")


def test_a_provider_name_that_belongs_to_a_local_user_is_not_taken_over(sso, expect_error):
    provider, url = sso
    provider.claims = {"sub": "u-2", "preferred_username": "admin", "heimdall_role": "admin"}
    with httpx.Client(timeout=60) as browser:
        expect_error(_sign_in(url, browser), 409, "conflict")
        expect_error(browser.get(f"{url}/api/v1/users"), 401, "unauthorized")


def test_without_a_provider_the_routes_say_not_found(secured, expect_error):
    with secured.client() as anonymous:
        expect_error(anonymous.get("/auth/oidc/login"), 404, "not_found")
        assert anonymous.get("/auth/options").json() == {"auth_enabled": True, "oidc_login_url": None}
