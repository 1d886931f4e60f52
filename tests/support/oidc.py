"""A local OpenID Connect provider for tests: discovery, authorize (signs in one configured user at
once), token (checks the code, the client secret and the PKCE verifier), keys. Tokens are signed
with joserfc; ``claims`` and ``tamper`` let a test change what the next ID token says."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, HTTPException, Query
from fastapi.responses import JSONResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

from heimdall.api.server import ThreadedServer

CLIENT_ID = "heimdall-test"
CLIENT_SECRET = "test-client-secret"


class FakeProvider:
    def __init__(self) -> None:
        self.issuer = ""
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.claims: dict[str, Any] = {"sub": "u-1", "preferred_username": "olga", "heimdall_role": "operator"}
        self.tamper: dict[str, Any] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI()
        app.get("/.well-known/openid-configuration")(self.discovery)
        app.get("/authorize")(self.authorize)
        app.post("/token")(self.token)
        app.get("/jwks")(lambda: {"keys": [self.key.as_dict(private=False)]})
        return app

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"]}

    def authorize(self, redirect_uri: str, state: str, nonce: str, code_challenge: str,
                  client_id: str = Query(), code_challenge_method: str = Query()) -> RedirectResponse:
        assert client_id == CLIENT_ID and code_challenge_method == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": nonce, "challenge": code_challenge, "redirect_uri": redirect_uri}
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}", status_code=302)

    def token(self, code: str = Form(), code_verifier: str = Form(), client_secret: str = Form(),
              redirect_uri: str = Form()) -> JSONResponse:
        grant = self.codes.pop(code, None)  # a code works once
        challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).decode().rstrip("=")
        if grant is None or client_secret != CLIENT_SECRET or grant["challenge"] != challenge \
                or grant["redirect_uri"] != redirect_uri:
            raise HTTPException(400, "invalid_grant")
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  **self.claims, **self.tamper}
        return JSONResponse({"id_token": jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key),
                             "token_type": "Bearer", "access_token": "unused"})


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider()
    with ThreadedServer(provider.app) as server:
        provider.issuer = server.http_url
        yield provider
