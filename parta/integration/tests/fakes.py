"""A local fake of the platform for the journal side's tests: the ID's OpenID Connect endpoints and API v1,
on a real socket (``http.server`` in a thread), speaking their real protocols — discovery, JWKS, the
authorization code flow with PKCE S256 and RS256 ID tokens, and the JSON of API v1 with bearer tokens.

The real platform is exercised by the browser tests (tests/e2e/test_linking_*.py), which run both sites.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "test-journal"
CLIENT_SECRET = "test-secret-1234567890"
API_TOKEN = "parta_test_token"


@dataclass
class Profile:
    sub: str
    phone: str = "+79521111111"
    family_name: str = "Смирнова"
    given_name: str = "Анна"
    middle_name: str = "Петровна"
    birthdate: str = "1986-02-17"
    gender: str = "female"


@dataclass
class FakePlatform:
    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    profile: Profile = field(default_factory=lambda: Profile(sub="6f1c2d9e-5a1b-4c1d-8e1f-000000000001"))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    chats: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # HTTP statuses to answer the next API calls with
    delay: float = 0.0
    nonce_override: str | None = None
    link_requests: dict[str, dict[str, Any]] = field(default_factory=dict)  # manual 003, by id
    phones_with_profile: dict[str, str] = field(default_factory=dict)  # phone → sub («no_account» otherwise)
    conferences: list[dict[str, Any]] = field(default_factory=list)  # GET /profiles/{sub}/conferences

    @property
    def issuer(self) -> str:
        return f"{self.url}/id"

    # --- OIDC ----------------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize/",
            "token_endpoint": f"{self.issuer}/token/",
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "userinfo_endpoint": f"{self.issuer}/userinfo/",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """What the ID answers after its screens: the redirect back with a code, state and iss."""
        assert query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        assert set(query["scope"].split()) >= {"openid", "phone", "edu_profile"}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "challenge": query["code_challenge"],
            "redirect_uri": query["redirect_uri"],
            "nonce": self.nonce_override or query["nonce"],
            "profile": self.profile,
        }
        return (
            query["redirect_uri"]
            + "?"
            + urlencode({"code": code, "state": query["state"], "iss": self.issuer})
        )

    def token(self, form: dict[str, str], auth: str) -> tuple[int, dict[str, Any]]:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        access = secrets.token_urlsafe(24)
        half = hashlib.sha256(access.encode()).digest()[:16]
        profile: Profile = grant["profile"]
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": profile.sub,
            "iat": now,
            "exp": now + 3600,
            "nonce": grant["nonce"],
            "at_hash": base64.urlsafe_b64encode(half).rstrip(b"=").decode(),
            "phone_number": profile.phone,
            "phone_number_verified": True,
            "family_name": profile.family_name,
            "given_name": profile.given_name,
            "middle_name": profile.middle_name,
            "birthdate": profile.birthdate,
            "gender": profile.gender,
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return 200, {"access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token}

    # --- API v1 -------------------------------------------------------------------------------------

    def api(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        self.requests.append((method, path, body))
        if self.fail_next:
            return self.fail_next.pop(0), {"detail": "Сбой на стороне платформы."}
        parts = path.strip("/").split("/")
        if method == "PUT" and parts[0] == "orgs" and len(parts) == 2:
            self.orgs[parts[1]] = body["name"]
            return 200, {"org_ref": parts[1], "name": body["name"]}
        if method == "POST" and parts == ["links"]:
            for link in self.links.values():
                if link["profile_sub"] == body["profile_sub"] and link["org_ref"] == body["org_ref"]:
                    if link["journal_account_ref"] != body["journal_account_ref"]:
                        return 409, {
                            "detail": "Этот учебный профиль уже привязан к другой учётной записи журнала."
                        }
                    return 200, link
            link = {"id": str(len(self.links) + 100), **{k: body[k] for k in ("profile_sub", "org_ref")}}
            link |= {"journal_account_ref": body["journal_account_ref"], "roles": body["roles"]}
            self.links[link["id"]] = link
            return 201, link
        if method == "DELETE" and parts[0] == "links" and len(parts) == 2:
            if self.links.pop(parts[1], None) is None:
                return 404, {"detail": "Не найдено."}
            return 204, None
        if method == "GET" and parts == ["links"]:
            ref = query.get("journal_account_ref")
            return 200, [link for link in self.links.values() if link["journal_account_ref"] == ref]
        if method == "GET" and parts[0] == "profiles" and parts[2:] == ["chats"]:
            return 200, self.chats
        if method == "GET" and parts[0] == "profiles" and parts[2:] == ["conferences"]:
            return 200, self.conferences
        if method == "POST" and parts == ["link-requests"]:
            return self.link_request_post(body)
        if method == "GET" and parts[0] == "link-requests" and len(parts) == 2:
            found = self.link_requests.get(parts[1])
            return (200, found) if found else (404, {"detail": "Запрос на привязку не найден."})
        return 404, {"detail": "Не найдено."}

    def link_request_post(self, body: dict[str, Any]) -> tuple[int, Any]:
        """``POST /link-requests`` as the platform answers it: ``pending`` when the phone has a profile."""
        if body["org_ref"] not in self.orgs:
            return 404, {"detail": f"Организация «{body['org_ref']}» не зарегистрирована этим журналом."}
        for known in self.link_requests.values():
            if known["state"] == "pending" and all(
                known[k] == body[k] for k in ("phone", "journal_account_ref")
            ):
                return 200, known
        request_id = f"6f1c2d9e-0000-4000-8000-{len(self.link_requests) + 1:012d}"
        self.link_requests[request_id] = {
            "id": request_id,
            "state": "pending" if body["phone"] in self.phones_with_profile else "no_account",
            "phone": body["phone"],
            "org_ref": body["org_ref"],
            "journal_account_ref": body["journal_account_ref"],
            "name": body["name"],
            "roles": body["roles"],
            "profile_sub": None,
            "link_id": None,
            "created_at": "2026-11-30T10:00:00+00:00",
            "expires_at": "2026-12-01T10:00:00+00:00",
            "decided_at": None,
        }
        return 201, self.link_requests[request_id]

    def link_request_answer(self, request_id: str, state: str) -> dict[str, Any]:
        """«Подключить» (``confirmed``), «Не подключать» (``declined``), or no answer (``expired``)."""
        found = self.link_requests[request_id]
        found["state"] = state
        if state == "confirmed":
            link = {
                "id": str(len(self.links) + 100),
                "profile_sub": self.phones_with_profile[found["phone"]],
                "org_ref": found["org_ref"],
                "journal_account_ref": found["journal_account_ref"],
                "roles": found["roles"],
            }
            self.links[link["id"]] = link
            found["profile_sub"], found["link_id"] = link["profile_sub"], int(link["id"])
        return found


def _handler(fake: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if data is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _route(self, method: str) -> None:
            if fake.delay:
                time.sleep(fake.delay)
            split = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(split.query).items()}
            raw = self._body()
            if split.path == "/id/.well-known/openid-configuration":
                return self._send(200, fake.discovery())
            if split.path == "/id/.well-known/jwks.json":
                return self._send(200, {"keys": [fake.key.as_dict(private=False)]})
            if split.path == "/id/authorize/":
                return self._send(302, {}, {"Location": fake.authorize(query)})
            if split.path == "/id/token/" and method == "POST":
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                return self._send(*fake.token(form, self.headers.get("Authorization", "")))
            if split.path.startswith("/api/v1/"):
                if self.headers.get("Authorization") != f"Bearer {API_TOKEN}":
                    return self._send(401, {"detail": "Нужен действующий токен API журнала."})
                body = json.loads(raw) if raw else None
                return self._send(*fake.api(method, split.path[len("/api/v1") :], query, body))
            return self._send(404, {"detail": "Не найдено."})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_DELETE(self) -> None:
            self._route("DELETE")

    return Handler


@contextmanager
def fake_platform() -> Iterator[FakePlatform]:
    fake = FakePlatform()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
