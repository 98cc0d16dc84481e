"""Signing in and out: the login of manual 004 and «Вход для сотрудников» of manual 002."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from parta.journal import queries
from parta.journal.actions.accounts import LoginRefusedError, login_check
from parta.journal.forms import LoginForm

STAFF_ONLY = "Это вход для сотрудников школы. Родители и ученики входят через обычную форму входа."


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return "/"


@never_cache
@csrf_protect
def login_view(request: HttpRequest, *, staff: bool = False) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            account = login_check(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except LoginRefusedError as refused:
            error = refused.message
        else:
            roles = queries.account_roles(account)
            if staff and not queries.STAFF_ROLES.intersection(roles) and not account.is_staff:
                error = STAFF_ONLY
            else:
                login(request, account)
                if staff:
                    # Manual 002: after this entry the header's chats icon reads «Личные сообщения».
                    request.session["journal_entry"] = "staff"
                    staff_roles = [role for role in roles if role in queries.STAFF_ROLES]
                    if staff_roles:
                        request.session["journal_role"] = staff_roles[0]
                return redirect(_next_url(request))
    template = "journal/login_staff.html" if staff else "journal/login.html"
    status = 200 if not error else 400
    return render(
        request, template, {"form": form, "error": error, "next": _next_url(request)}, status=status
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("journal:login")


def gosuslugi(request: HttpRequest) -> HttpResponse:
    """«Войти через госуслуги»: shown as in manual 004; this deployment has no ESIA agreement."""
    return render(request, "journal/gosuslugi.html")


def forgot_password(request: HttpRequest) -> HttpResponse:
    return render(request, "journal/forgot_password.html")
