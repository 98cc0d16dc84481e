"""A journal calling API v1 in tests: its registration with a real API token and a JSON test client."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.test import Client
from oauth2_provider.models import Application

from parta.messenger.tests import factories


@dataclass
class Journal:
    client: Any  # the identity.JournalClient row
    token: str
    http: Client

    def call(
        self, method: str, path: str, body: Any = None, *, token: str | None = None, **extra: Any
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"} if token != "" else {}
        data = json.dumps(body) if body is not None else None
        send = getattr(self.http, method.lower())
        if data is not None:
            return send(
                f"/api/v1{path}", data=data, content_type="application/json", headers=headers, **extra
            )
        return send(f"/api/v1{path}", headers=headers, **extra)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> Any:
        return self.call("PUT", path, body, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Any:
        return self.call("POST", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)

    def link(self, profile: Any, org_ref: str, account: str, *roles: str) -> dict[str, Any]:
        response = self.post(
            "/links",
            {
                "profile_sub": str(profile.sub),
                "org_ref": org_ref,
                "journal_account_ref": account,
                "roles": list(roles or ("student",)),
            },
        )
        assert response.status_code in (200, 201), response.content
        return dict(response.json())


def journal(display_name: str = "БАРС.Электронная школа") -> Journal:
    """A registered, switched-on journal with a fresh API token (only its SHA-256 is stored)."""
    token = "pj_" + secrets.token_urlsafe(24)
    client_id = "journal-" + secrets.token_hex(4)
    application = Application.objects.create(
        name=display_name,
        client_id=client_id,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:8000/integration/callback/",
        algorithm=Application.RS256_ALGORITHM,
    )
    row = apps.get_model("identity", "JournalClient").objects.create(
        application=application,
        display_name=display_name,
        api_token_digest=hashlib.sha256(token.encode()).hexdigest(),
    )
    return Journal(client=row, token=token, http=Client())


def person(last: str = "Иванова", first: str = "Мария", middle: str = "Петровна") -> Any:
    return factories.profile(last=last, first=first, middle=middle)
