"""API tokens: shown once, stored as a digest, scoped to a role, expiring, revocable, last use recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from heimdall.store.db import transaction, utcnow
from heimdall.store.tables.users import ApiTokenRow


def test_a_token_is_shown_once_and_stored_as_a_digest(secured):
    with secured.client("admin") as admin:
        created = admin.post("/tokens", json={"name": "ci", "role": "viewer", "user": "operator"})
        assert created.status_code == 201, created.text
        secret, token = created.json()["secret"], created.json()["token"]
        listed = admin.get("/tokens").json()["items"]
    assert secret.startswith("hmd_") and len(secret) > 40
    assert secret not in str(listed) and token["user"] == "operator" and token["role"] == "viewer"
    with secured.platform.session_factory() as session:
        stored = session.scalar(select(ApiTokenRow).where(ApiTokenRow.id == token["id"]))
        assert stored is not None and secret not in (stored.token_hash, stored.prefix)
    with secured.client(Authorization=f"Bearer {secret}") as script:
        assert script.get("/auth/me").json()["role"] == "viewer"
        assert script.post("/networks", json={"name": "x"}).status_code == 403  # the token's role, not the user's
    used = next(t for t in secured.platform.identity.tokens.list()["items"] if t["id"] == token["id"])
    assert used["last_used_at"] is not None


def test_revoked_expired_and_unknown_tokens_answer_401(secured, expect_error):
    identity = secured.platform.identity
    revoked_record, revoked = identity.tokens.create("viewer", "old", "viewer", None)
    expiring_record, expiring = identity.tokens.create("viewer", "short", "viewer", 3600)
    with secured.client("admin") as admin:
        assert admin.delete(f"/tokens/{revoked_record['id']}").status_code == 204
    with transaction(secured.platform.session_factory) as session:
        session.get(ApiTokenRow, expiring_record["id"]).expires_at = utcnow() - timedelta(seconds=1)
    for secret in (revoked, expiring, "hmd_" + "A" * 43, "not-even-a-token"):
        with secured.client(Authorization=f"Bearer {secret}") as script:
            expect_error(script.get("/receivers"), 401, "unauthorized")


def test_a_token_cannot_outrank_its_user(secured, expect_error):
    with secured.client("admin") as admin:
        expect_error(admin.post("/tokens", json={"name": "up", "role": "admin", "user": "viewer"}), 422,
                     "invalid_input")
    # A user demoted after the token was made: the token shrinks with them.
    secured.platform.identity.users.update("operator", role="viewer")
    with secured.client("operator") as demoted:
        assert demoted.get("/auth/me").json()["role"] == "viewer"


def test_users_are_managed_by_admins_and_the_last_admin_stays(secured, expect_error):
    with secured.client("admin") as admin:
        created = admin.post("/users", json={"name": "ana", "role": "operator", "password": "a long password"})
        assert created.status_code == 201 and "a long password" not in created.text and "argon2" not in created.text
        expect_error(admin.post("/users", json={"name": "ana", "role": "viewer"}), 409, "conflict")
        expect_error(admin.post("/users", json={"name": "bob", "role": "root"}), 422, "invalid_input")
        expect_error(admin.post("/users", json={"name": "bob", "role": "viewer", "password": "short"}), 422,
                     "invalid_input")
        expect_error(admin.patch("/users/admin", json={"role": "viewer"}), 409, "conflict")
        assert admin.patch("/users/ana", json={"disabled": True}).json()["disabled"] is True
        assert {u["name"] for u in admin.get("/users").json()["items"]} == {"admin", "operator", "viewer", "ana"}
