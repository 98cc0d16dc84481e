"""The integration as an OpenID Connect client of the ID: authorization code flow with PKCE (S256).

Authlib builds the authorization URL and exchanges the code (its httpx ``OAuth2Client``); the ID token
is checked with joserfc (Authlib's JOSE library): RS256 signature against the ID's JWKS, ``iss``, ``aud``,
``exp``, ``iat``, ``nonce`` and ``at_hash``. Discovery and the JWKS are cached for an hour; an unknown
``kid`` fetches the JWKS again (key rotation, docs/identity.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import time
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]  # no stubs
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from parta.integration.conf import Config
from parta.integration.platform_api import PlatformUnavailableError

with warnings.catch_warnings():  # Authlib 1.9 marks its httpx integration deprecated; it is supported
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)  # after Authlib's own "always" filter
    from authlib.integrations.base_client.errors import OAuthError  # type: ignore[import-untyped]
    from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]

SCOPES = "openid phone edu_profile"
CACHE_SECONDS = 3600


class IdTokenError(Exception):
    """The code exchange or the ID token failed a check: the linking starts again."""


@dataclass(frozen=True)
class ProfileClaims:
    """What the ID says about the educational profile (scopes ``openid phone edu_profile``)."""

    sub: str
    phone: str
    family_name: str
    given_name: str
    middle_name: str
    birthdate: dt.date | None
    gender: str

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.family_name, self.given_name, self.middle_name) if part)

    def as_session(self) -> dict[str, str]:
        return {
            "sub": self.sub,
            "phone": self.phone,
            "family_name": self.family_name,
            "given_name": self.given_name,
            "middle_name": self.middle_name,
            "birthdate": self.birthdate.isoformat() if self.birthdate else "",
            "gender": self.gender,
        }

    @classmethod
    def from_session(cls, data: dict[str, str]) -> ProfileClaims:
        return cls(**{**data, "birthdate": _date(data.get("birthdate", ""))})  # type: ignore[arg-type]


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _get_json(url: str, *, timeout: float) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)))
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise PlatformUnavailableError(f"{url}: {error}") from error
    if not isinstance(data, dict):
        raise PlatformUnavailableError(f"{url}: not a JSON object")
    return data


def metadata(config: Config) -> dict[str, Any]:
    key = f"integration:oidc:metadata:{config.issuer}"
    cached = cache.get(key)
    if cached is None:
        cached = _get_json(config.discovery_url, timeout=config.timeout)
        if cached.get("issuer", "").rstrip("/") != config.issuer:
            raise PlatformUnavailableError(f"discovery names issuer {cached.get('issuer')!r}")
        cache.set(key, cached, CACHE_SECONDS)
    return dict(cached)


def _jwks(config: Config, *, fresh: bool = False) -> dict[str, Any]:
    key = f"integration:oidc:jwks:{config.issuer}"
    cached = None if fresh else cache.get(key)
    if cached is None:
        cached = _get_json(metadata(config)["jwks_uri"], timeout=config.timeout)
        cache.set(key, cached, CACHE_SECONDS)
    return dict(cached)


def _client(config: Config, redirect_uri: str) -> OAuth2Client:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OAuth2Client(
            client_id=config.client_id,
            client_secret=config.client_secret,
            scope=SCOPES,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=httpx.Timeout(config.timeout, connect=min(config.timeout, 2.0)),
        )


@dataclass(frozen=True)
class AuthorizeRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


def authorize_request(*, config: Config, redirect_uri: str) -> AuthorizeRequest:
    """The ID's authorize URL with a fresh state, nonce and PKCE verifier (S256)."""
    endpoint = metadata(config)["authorization_endpoint"]
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    with _client(config, redirect_uri) as client:
        url, _ = client.create_authorization_url(endpoint, state=state, nonce=nonce, code_verifier=verifier)
    return AuthorizeRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _decode(config: Config, id_token: str) -> dict[str, Any]:
    for fresh in (False, True):
        keys = KeySet.import_key_set(_jwks(config, fresh=fresh))  # type: ignore[arg-type]
        try:
            return dict(jwt.decode(id_token, keys, algorithms=["RS256"]).claims)
        except ValueError:  # no key with this kid: the ID rotated its key, fetch the JWKS again
            if fresh:
                raise IdTokenError("no key for the ID token") from None
        except JoseError as error:
            raise IdTokenError(f"ID token: {error}") from error
    raise IdTokenError("ID token not decoded")  # pragma: no cover -- the loop returns or raises


def code_exchange(
    *, config: Config, redirect_uri: str, code: str, code_verifier: str, nonce: str
) -> ProfileClaims:
    """Exchange the code (with the PKCE verifier) and check the ID token; the profile's claims."""
    token_endpoint = metadata(config)["token_endpoint"]
    try:
        with _client(config, redirect_uri) as client:
            token = client.fetch_token(
                token_endpoint, grant_type="authorization_code", code=code, code_verifier=code_verifier
            )
    except OAuthError as error:
        raise IdTokenError(f"token endpoint: {error}") from error
    except httpx.HTTPError as error:
        raise PlatformUnavailableError(f"token endpoint: {error}") from error
    id_token = token.get("id_token")
    if not id_token:
        raise IdTokenError("no id_token in the token response")
    claims = _decode(config, str(id_token))
    registry = jwt.JWTClaimsRegistry(
        now=int(time.time()),
        leeway=60,
        iss={"essential": True, "value": config.issuer},
        aud={"essential": True, "value": config.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise IdTokenError(f"ID token claims: {error}") from error
    access_token = str(token.get("access_token", ""))
    if "at_hash" in claims and not secrets.compare_digest(str(claims["at_hash"]), _at_hash(access_token)):
        raise IdTokenError("at_hash does not match the access token")
    return ProfileClaims(
        sub=str(claims["sub"]),
        phone=str(claims.get("phone_number", "")),
        family_name=str(claims.get("family_name", "")),
        given_name=str(claims.get("given_name", "")),
        middle_name=str(claims.get("middle_name", "")),
        birthdate=_date(claims.get("birthdate")),
        gender=str(claims.get("gender", "")),
    )
