"""What the sign-in screens remember between steps (in the session) and what every screen shows.

:class:`SigninFlow` is the state of one sign-in in one browser: where to return (``next``), the phone
being signed in, which factors are done, the code being waited on. The limits themselves are enforced
by the actions, whatever this state says.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from parta.identity import queries

SESSION_KEY = "parta_id_signin"


@dataclass
class SigninFlow:
    next: str = ""
    phone: str = ""
    password_ok: bool = False
    code_id: int | None = None
    code_ok: bool = False
    code_push: bool = False
    skip_push: bool = False
    channel: str = ""
    fresh: bool = False
    notice: str = ""
    success: str = ""  # good news for the next screen («Пароль изменён…»), shown once

    @classmethod
    def load(cls, request: HttpRequest) -> SigninFlow:
        raw = request.session.get(SESSION_KEY)
        flow = cls()
        if not isinstance(raw, dict):
            return flow
        for field in fields(cls):
            value = raw.get(field.name)
            default = getattr(flow, field.name)
            if field.name == "code_id":
                if isinstance(value, int) and not isinstance(value, bool):
                    flow.code_id = value
            elif isinstance(value, type(default)):
                setattr(flow, field.name, value)
        return flow

    def save(self, request: HttpRequest) -> None:
        request.session[SESSION_KEY] = asdict(self)

    def take_notice(self, request: HttpRequest) -> str:
        notice, self.notice = self.notice, ""
        if notice:
            self.save(request)
        return notice

    def take_success(self, request: HttpRequest) -> str:
        success, self.success = self.success, ""
        if success:
            self.save(request)
        return success

    def restart(self, *, phone: str = "") -> None:
        """Forget every step but ``next`` (a new phone, or «Изменить номер телефона»)."""
        keep = self.next
        for field in fields(self):
            setattr(self, field.name, getattr(SigninFlow(), field.name))
        self.next = keep
        self.phone = phone


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` when it leads back to this site, else ``""`` (an open redirect is never followed)."""
    if not candidate or len(candidate) > 4096:
        return ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def is_account_url(next_url: str) -> bool:
    """Whether ``next`` is the ID's own account page: signing in for it needs no profile steps."""
    account = reverse("identity:account")
    return bool(next_url) and (next_url == account or next_url.startswith(account))


def signin_url(next_url: str = "", **extra: str) -> str:
    query = {"next": next_url} if next_url else {}
    query.update(extra)
    url = reverse("identity:signin")
    return f"{url}?{urlencode(query)}" if query else url


def to_signin(next_url: str = "", **extra: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(signin_url(next_url, **extra))


def screen(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    flow: SigninFlow | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render an ID screen with the left panel («С сервисом «…» можно связать свой учебный профиль»)."""
    next_url = flow.next if flow else ""
    base = {
        "id_name": getattr(settings, "PARTA_ID_NAME", "ID"),
        "messenger_name": getattr(settings, "PARTA_MESSENGER_NAME", ""),
        "platform_name": getattr(settings, "PARTA_PLATFORM_NAME", ""),
        "client_name": queries.client_name(next_url),
        "next": next_url,
    }
    return render(request, template, {**base, **context}, status=status)
