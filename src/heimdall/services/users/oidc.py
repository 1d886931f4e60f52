"""OpenID Connect sign-in (authorization code flow with PKCE), verified with joserfc.

``OidcClient`` knows one provider: it reads the provider's discovery document and keys (cached;
the keys are fetched again once when a token names an unknown key), builds the authorization URL
(``state``, ``nonce``, S256 ``code_challenge``), exchanges the code at the token endpoint and
verifies the ID token: signature against the provider's keys with the algorithms it announces
(never ``none``, never an HMAC with a public key), ``iss``, ``aud``, ``exp``/``nbf``/``iat`` and the
``nonce``. No JWT parsing is written here. The result is the claims; mapping them to a local user
is ``UserService.sign_in_oidc``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from heimdall.errors import IdentityProviderFailed, Unauthorized

HTTP_TIMEOUT_S = 10.0
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid profile email"


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and what the callback must find again (kept in a cookie)."""

    url: str
    state: str
    nonce: str
    verifier: str


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class OidcClient:
    def __init__(self, config: OidcConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport
        self._discovery: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    def start(self, redirect_url: str) -> LoginStart:
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        query = {"response_type": "code", "client_id": self.config.client_id, "redirect_uri": redirect_url,
                 "scope": self.config.scopes, "state": state, "nonce": nonce,
                 "code_challenge": _challenge(verifier), "code_challenge_method": "S256"}
        endpoint = str(self._discover()["authorization_endpoint"])
        separator = "&" if "?" in endpoint else "?"
        return LoginStart(f"{endpoint}{separator}{urlencode(query)}", state, nonce, verifier)

    def finish(self, code: str, redirect_url: str, nonce: str, verifier: str) -> dict[str, Any]:
        """The verified ID token's claims for this ``code``; Unauthorized when anything does not hold."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_url,
                "client_id": self.config.client_id, "client_secret": self.config.client_secret,
                "code_verifier": verifier}
        answer = self._http("POST", str(self._discover()["token_endpoint"]), data=form)
        if answer.status_code in (400, 401):
            raise Unauthorized("the identity provider refused the sign-in (code used, expired or not ours)")
        id_token = self._json(answer).get("id_token")
        if not isinstance(id_token, str):
            raise IdentityProviderFailed("the identity provider's token answer has no id_token")
        return self._verify(id_token, nonce)

    def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        algorithms = [a for a in self._discover().get("id_token_signing_alg_values_supported", ["RS256"])
                      if a in ALLOWED_ALGORITHMS]
        try:
            token = self._decode(id_token, algorithms)
            claims = jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.client_id},
                sub={"essential": True}, exp={"essential": True}, nonce={"essential": True, "value": nonce},
            )
            claims.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"the identity provider's ID token is not valid here ({type(exc).__name__})") from exc
        return dict(token.claims)

    def _decode(self, id_token: str, algorithms: list[str]) -> jwt.Token:
        try:
            return jwt.decode(id_token, self._key_set(refresh=False), algorithms=algorithms)
        except JoseError:
            # The provider may have rotated its keys since they were cached: fetch them once more.
            return jwt.decode(id_token, self._key_set(refresh=True), algorithms=algorithms)

    def _discover(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None:
                url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
                document = self._json(self._http("GET", url))
                if document.get("issuer") != self.config.issuer:
                    raise IdentityProviderFailed("the provider's discovery document names another issuer")
                self._discovery = document
            return self._discovery

    def _key_set(self, *, refresh: bool) -> KeySet:
        jwks_uri = str(self._discover()["jwks_uri"])
        with self._lock:
            if self._keys is None or refresh:
                try:
                    self._keys = KeySet.import_key_set(self._json(self._http("GET", jwks_uri)))  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError) as exc:
                    raise IdentityProviderFailed("the identity provider's keys cannot be read") from exc
            return self._keys

    def _http(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            with httpx.Client(timeout=HTTP_TIMEOUT_S, transport=self._transport) as client:
                return client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise IdentityProviderFailed(f"the identity provider cannot be reached: {type(exc).__name__}") from exc

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise IdentityProviderFailed(f"the identity provider answered {response.status_code}")
        try:
            document = response.json()
        except ValueError as exc:
            raise IdentityProviderFailed("the identity provider answered something other than JSON") from exc
        if not isinstance(document, dict):
            raise IdentityProviderFailed("the identity provider answered something other than a JSON object")
        return document
