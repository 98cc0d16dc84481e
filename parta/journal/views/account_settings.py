"""«Настройки аккаунта» with its tabs, and «Безопасность» with «Внешние аккаунты» («Мой паспорт»)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from parta.journal import public, queries
from parta.journal.views.pages import _account

TABS = (
    ("profile", "Профиль", "journal:settings"),
    ("password", "Пароль", "journal:settings-password"),
    ("partners", "Партнеры", "journal:settings-partners"),
    ("security", "Безопасность", "journal:settings-security"),
)


def _render(request: HttpRequest, tab: str, context: dict[str, object]) -> HttpResponse:
    return render(request, f"journal/settings_{tab}.html", {"tabs": TABS, "tab": tab, **context})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    roles = [queries.ROLE_LABELS[role] for role in queries.account_roles(account)]
    return _render(request, "profile", {"person": account.person, "role_labels": roles})


@login_required
def password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(_account(request), request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = form.save()
        update_session_auth_hash(request, account)
        messages.success(request, "Пароль изменён.")
        return redirect("journal:settings-password")
    return _render(request, "password", {"form": form})


def _partner_rows(request: HttpRequest) -> list[tuple[public.PartnerService, public.PartnerStatus]]:
    account_id = _account(request).pk
    return [(partner, partner.status(account_id=account_id)) for partner in public.partners()]


@login_required
def partners(request: HttpRequest) -> HttpResponse:
    return _render(request, "partners", {"partners": _partner_rows(request)})


@login_required
def security(request: HttpRequest) -> HttpResponse:
    rows = [(partner, state) for partner, state in _partner_rows(request) if state.connected]
    return _render(request, "security", {"external": rows})
