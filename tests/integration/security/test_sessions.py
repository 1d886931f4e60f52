"""Sign-in by password: the session cookie, CSRF, sign-out, rate limits; nothing says whether a user exists."""

from __future__ import annotations

import time

import httpx

from heimdall.errors import StorageError

from support.security import PASSWORD


def _login(client: httpx.Client, name: str = "operator", password: str = PASSWORD) -> httpx.Response:
    return client.post("/auth/login", json={"name": name, "password": password})


def test_login_sets_an_httponly_strict_cookie_and_writes_need_the_csrf_token(secured, expect_error):
    with secured.client() as browser:
        answer = _login(browser)
        assert answer.status_code == 200, answer.text
        cookies = answer.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("heimdall_session="))
        assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
        csrf = answer.json()["csrf_token"]
        assert browser.get("/auth/me").json() == {"name": "operator", "role": "operator", "via": "session",
                                                  "auth_enabled": True}
        expect_error(browser.post("/networks", json={"name": "no-csrf"}), 403, "csrf_failed")
        expect_error(browser.post("/networks", json={"name": "bad"}, headers={"X-CSRF-Token": "x" * 43}),
                     403, "csrf_failed")
        assert browser.post("/networks", json={"name": "ok"}, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_logout_ends_the_session_and_a_replayed_cookie_is_refused(secured, expect_error):
    with secured.client() as browser:
        _login(browser)
        stolen = browser.cookies.get("heimdall_session")
        assert browser.post("/auth/logout").status_code == 204
    with secured.client(Cookie=f"heimdall_session={stolen}") as replay:
        expect_error(replay.get("/receivers"), 401, "unauthorized")
    with secured.client(Cookie="heimdall_session=forged-value") as forged:
        expect_error(forged.get("/receivers"), 401, "unauthorized")
    refused = _refused_reads(secured, "/api/v1/receivers", count=2)
    assert len(refused) == 2 and {e["status"] for e in refused} == {401}  # the replay and the forgery


def _refused_reads(secured, target: str, count: int, timeout_s: float = 30.0) -> list[dict]:
    """The anonymous audit entries for ``target``, waiting for ``count`` of them: the audit is written
    after the response is sent, so the last one may land a moment after the client has its answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [e for e in secured.platform.audit.list(actor="-")["items"] if e["target"] == target]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_closed_sessions_and_used_links_are_pruned(secured):
    sessions = secured.platform.identity.sessions
    with secured.client() as browser:
        _login(browser)
        assert browser.post("/auth/logout").status_code == 204
    link = sessions.create_link("viewer")
    assert sessions.consume_link(link) is not None
    assert sessions.prune() == 2 and sessions.prune() == 0
    assert "auth-prune" in {task.name for task in secured.platform.periodic_tasks()}


def test_wrong_password_and_unknown_user_answer_alike_and_are_audited(secured, expect_error):
    with secured.client() as anonymous:
        wrong = expect_error(_login(anonymous, "viewer", "not the password"), 401, "unauthorized")
        unknown = expect_error(_login(anonymous, "nobody", "not the password"), 401, "unauthorized")
    assert wrong["message"] == unknown["message"]
    entries = secured.platform.audit.list(limit=100)["items"]
    failed = [e for e in entries if e["action"] == "auth.login_failed"]
    assert {e["actor"] for e in failed} == {"viewer", "nobody"} and all(e["status"] == 401 for e in failed)


def test_failed_logins_are_rate_limited(secured, expect_error):
    with secured.client() as anonymous:
        for _ in range(3):  # login_max_failures=3 in the fixture
            expect_error(_login(anonymous, "admin", "wrong password"), 401, "unauthorized")
        limited = expect_error(_login(anonymous, "admin", PASSWORD), 429, "too_many_requests")
        assert limited["details"]["retry_after_s"] > 0


def test_a_disabled_user_loses_sessions_and_tokens_at_once(secured, expect_error):
    with secured.client() as browser, secured.client("viewer") as scripted:
        _login(browser, "viewer")
        assert browser.get("/receivers").status_code == 200
        secured.platform.identity.users.update("viewer", disabled=True)
        expect_error(browser.get("/receivers"), 401, "unauthorized")
        expect_error(scripted.get("/receivers"), 401, "unauthorized")
        expect_error(_login(browser, "viewer"), 401, "unauthorized")


def test_a_store_that_fails_while_checking_credentials_answers_503_in_the_error_shape(secured, expect_error,
                                                                                       monkeypatch):
    def broken(_secret: str) -> None:
        raise StorageError("database is locked")

    monkeypatch.setattr(secured.platform.identity.tokens, "verify", broken)
    with secured.client("viewer") as viewer:
        expect_error(viewer.get("/receivers"), 503, "storage_error")


def test_users_set_their_own_password_after_a_one_time_link(secured, expect_error):
    secured.platform.identity.users.create("newbie", "viewer")
    link = secured.platform.identity.sessions.create_link("newbie")
    with secured.client() as browser:
        assert browser.get(f"/auth/link?token={link}").status_code == 303
        csrf = {"X-CSRF-Token": browser.cookies.get("heimdall_csrf")}
        expect_error(browser.put("/auth/password", json={"new_password": "short"}, headers=csrf), 422, "invalid_input")
        assert browser.put("/auth/password", json={"new_password": "my first password"}, headers=csrf).status_code == 204
        expect_error(browser.put("/auth/password", json={"new_password": "another password", "current_password": "no"},
                                 headers=csrf), 403, "forbidden")
        expect_error(browser.put("/auth/password", json={"new_password": "another password"}), 403, "csrf_failed")
    with secured.client() as again:
        assert _login(again, "newbie", "my first password").status_code == 200
