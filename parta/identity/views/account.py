"""The account page (issue 3, flow 7): ``/id/account/`` and its sub-pages.

Телефон (change by a code to the new number), Пароль (set or change, with the policy), Приложение-
генератор кодов (TOTP, with a QR code), Электронная почта (confirmed by a code), Доверенные друзья (2–5),
Активные сеансы («Выйти на всех устройствах, кроме этого»), Подключённые сервисы («Отключить»).

Changes that add a way into the account (a new phone, e-mail, app, friend, or a password without the
current one) need a sign-in from the last ``PARTA_ID_RECENT_SIGNIN_SECONDS`` (OWASP Authentication Cheat
Sheet: re-authenticate before sensitive changes); otherwise the page offers «Войти ещё раз». What a
sub-page waits for between its two steps (a code sent, the app's new secret) is in the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from parta.core.phones import phone_display, phone_mask
from parta.identity import queries
from parta.identity.actions import limits
from parta.identity.actions.account import (
    MAX_FRIENDS,
    MIN_FRIENDS,
    AccountError,
    email_add_send,
    email_confirm,
    email_remove,
    friend_add,
    friend_remove,
    phone_change_confirm,
    phone_change_send,
)
from parta.identity.actions.codes import CodeError, code_dead_message, code_resend_seconds
from parta.identity.actions.passwords import PasswordError, password_change, password_rules
from parta.identity.actions.sessions import (
    service_disconnect,
    sessions_end_others,
    sessions_prune,
    signed_in_seconds_ago,
)
from parta.identity.actions.signin import signout
from parta.identity.actions.totp import (
    TotpError,
    totp_disable,
    totp_enable,
    totp_qr_svg,
    totp_secret_display,
    totp_secret_new,
    totp_uri,
)
from parta.identity.forms import ChangePasswordForm, CodeForm, EmailForm, PhoneForm
from parta.identity.models import Account, Code, TotpDevice
from parta.identity.views.profile import account_card
from parta.identity.views.state import SigninFlow, screen

PENDING = "parta_id_account"  # {"phone_code": id, "email_code": id, "totp_secret": "…"}


def _me(request: HttpRequest) -> Account:
    user = request.user
    assert isinstance(user, Account)  # login_required and the platform's user model
    return user


def _pending(request: HttpRequest) -> dict[str, Any]:
    value = request.session.get(PENDING)
    return dict(value) if isinstance(value, dict) else {}


def _pending_set(request: HttpRequest, **values: Any) -> None:
    pending = _pending(request)
    for key, value in values.items():
        if value is None:
            pending.pop(key, None)
        else:
            pending[key] = value
    request.session[PENDING] = pending


def _page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return screen(request, template, {"back": reverse("identity:account"), **context}, status=status)


def _recent(request: HttpRequest) -> bool:
    ago = signed_in_seconds_ago(request)
    return ago is not None and ago <= int(limits.setting("PARTA_ID_RECENT_SIGNIN_SECONDS", 900))


def _reauth(request: HttpRequest, *, title: str) -> HttpResponse:
    """«Войти ещё раз»: this change needs a fresh sign-in."""
    minutes = int(limits.setting("PARTA_ID_RECENT_SIGNIN_SECONDS", 900)) // 60
    return _page(
        request,
        "identity/account_reauth.html",
        {"title": title, "minutes": minutes, "return_to": request.get_full_path()},
        status=403 if request.method == "POST" else 200,
    )


def _code_id(request: HttpRequest, name: str) -> int | None:
    value = _pending(request).get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- the overview -----------------------------------------------------------------------------------------


@never_cache
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    account = _me(request)
    sessions_prune(account=account)
    friends = queries.friends_of(account)
    device = TotpDevice.objects.filter(account_id=account.pk).first()
    sessions = queries.sessions_of(account, current_key=request.session.session_key)
    return _page(
        request,
        "identity/account.html",
        {
            "card": account_card(account),
            "masked_phone": phone_mask(account.phone),
            "has_password": account.has_password,
            "totp": device,
            "email": queries.email_mask(account.email) if account.email_confirmed_at else "",
            "friends": friends,
            "friends_enough": len(friends) >= MIN_FRIENDS,
            "sessions": sessions,
            "others": sum(1 for row in sessions if not row.current),
            "services": queries.services_of(account),
            "back": "",
        },
    )


@never_cache
@csrf_protect
@login_required
@require_POST
def reauth(request: HttpRequest) -> HttpResponse:
    """«Войти ещё раз»: sign out here and sign in again with the same phone, then come back."""
    account = _me(request)
    return_to = request.POST.get("next", "")
    if not return_to.startswith(reverse("identity:account")):
        return_to = reverse("identity:account")
    phone = account.phone
    signout(request=request, ip=limits.client_ip(request))
    SigninFlow(next=return_to, phone=phone).save(request)
    return HttpResponseRedirect(f"{reverse('identity:signin')}?edit=1")


# --- Телефон ----------------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@login_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def phone(request: HttpRequest) -> HttpResponse:
    """«Изменить номер»: the new number, then the code sent to it."""
    account = _me(request)
    if not _recent(request):
        return _reauth(request, title="Изменить номер телефона")
    ip = limits.client_ip(request)
    action = request.POST.get("action", "")
    form = PhoneForm(label="Новый номер телефона")
    error = ""
    status = 200
    if request.method == "GET" and request.GET.get("edit") == "1":
        _pending_set(request, phone_code=None)
    elif action == "send":
        form = PhoneForm(request.POST, label="Новый номер телефона")
        status = 400
        if form.is_valid():
            try:
                sent = phone_change_send(account=account, phone=form.cleaned_data["phone"], ip=ip)
            except AccountError as refused:
                form.add_error("phone", str(refused))
            except CodeError as refused:
                error = str(refused)
            else:
                _pending_set(request, phone_code=sent.pk)
                return redirect("identity:account-phone")
    code = _own_code(account, _code_id(request, "phone_code"))
    if code is not None and action in {"confirm", "resend"}:
        return _pending_code_step(request, account, code, PHONE_CODE, action=action, ip=ip)
    if code is not None:
        return _pending_code_screen(request, code, PHONE_CODE)
    return _page(request, "identity/account_phone.html", {"form": form, "error": error}, status=status)


def _own_code(account: Account, code_id: int | None) -> Code | None:
    return Code.objects.filter(pk=code_id or 0, account_id=account.pk).first() if code_id else None


@dataclass(frozen=True)
class _PendingCode:
    """A code sent to confirm a new phone or e-mail: where it is kept in the session, its screen, and
    what resends and confirms it (``confirm`` returns the message shown on the account page)."""

    key: str
    template: str
    label: str
    context: Callable[[Code], dict[str, object]]
    resend: Callable[[Account, str, str | None], Code]
    confirm: Callable[[Account, Code, str, str | None], str]
    here: str


def _pending_code_step(
    request: HttpRequest, account: Account, code: Code, step: _PendingCode, *, action: str, ip: str | None
) -> HttpResponse:
    if action == "resend":
        try:
            sent = step.resend(account, code.target, ip)
        except (AccountError, CodeError) as refused:
            return _pending_code_screen(request, code, step, error=str(refused), status=400)
        _pending_set(request, **{step.key: sent.pk})
        return redirect(step.here)
    form = CodeForm(request.POST, label=step.label, length=code.length)
    if not form.is_valid():
        return _pending_code_screen(request, code, step, form=form, status=400)
    try:
        done = step.confirm(account, code, form.cleaned_data["code"], ip)
    except (AccountError, CodeError) as refused:
        code.refresh_from_db()
        return _pending_code_screen(request, code, step, error=str(refused), status=400)
    _pending_set(request, **{step.key: None})
    messages.success(request, done)
    return redirect("identity:account")


def _pending_code_screen(
    request: HttpRequest,
    code: Code,
    step: _PendingCode,
    *,
    form: CodeForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    dead = code_dead_message(code)
    wait = code_resend_seconds(code)
    return _page(
        request,
        step.template,
        {
            "form": form or CodeForm(label=step.label, length=code.length),
            "error": error or dead,
            "has_code": not dead,
            **step.context(code),
            "wait": wait,
            "wait_clock": limits.clock(wait),
        },
        status=status,
    )


def _phone_changed(account: Account, code: Code, value: str, ip: str | None) -> str:
    changed = phone_change_confirm(account=account, code_id=code.pk, value=value, ip=ip)
    return f"Номер изменён. Теперь входите по номеру {phone_display(changed)}."


PHONE_CODE = _PendingCode(
    key="phone_code",
    template="identity/account_phone_code.html",
    label="Введите код",
    context=lambda code: {"phone": phone_display(code.target)},
    resend=lambda account, target, ip: phone_change_send(account=account, phone=target, ip=ip, again=True),
    confirm=_phone_changed,
    here="identity:account-phone",
)


# --- Пароль -----------------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@login_required
@sensitive_post_parameters("current", "password1", "password2")
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    """«Изменить пароль» (the current one first) or «Установить пароль» (a fresh sign-in first)."""
    account = _me(request)
    has_password = account.has_password
    if not has_password and not _recent(request):
        return _reauth(request, title="Установить пароль")
    form = ChangePasswordForm(request.POST or None, has_password=has_password)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                password_change(
                    account=account,
                    current=form.cleaned_data.get("current", ""),
                    password=form.cleaned_data["password1"],
                    repeat=form.cleaned_data["password2"],
                    request=request,
                    ip=limits.client_ip(request),
                )
            except PasswordError as refused:
                for message in refused.messages:
                    form.add_error(refused.field if refused.field in form.fields else None, message)
            else:
                messages.success(
                    request,
                    "Пароль сохранён. На других устройствах нужно будет войти заново, а подключённые "
                    "сервисы попросят разрешение ещё раз.",
                )
                return redirect("identity:account")
    return _page(
        request,
        "identity/account_password.html",
        {"form": form, "rules": password_rules(), "has_password": has_password},
        status=status,
    )


# --- Приложение-генератор кодов ---------------------------------------------------------------------------


@never_cache
@csrf_protect
@login_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def totp(request: HttpRequest) -> HttpResponse:
    """«Подключить»: scan the QR code (or type the key), then type the app's first code."""
    account = _me(request)
    if not _recent(request):
        return _reauth(request, title="Подключить приложение-генератор кодов")
    secret = _pending(request).get("totp_secret")
    if not isinstance(secret, str) or request.method == "GET":
        secret = totp_secret_new()  # a new key on every visit: an abandoned one is never kept
        _pending_set(request, totp_secret=secret)
    form = CodeForm(request.POST or None, label="Код из приложения", length=6)
    error = ""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                totp_enable(
                    account=account,
                    secret=secret,
                    value=form.cleaned_data["code"],
                    ip=limits.client_ip(request),
                )
            except (TotpError, CodeError) as refused:
                error = str(refused)
                form = CodeForm(label="Код из приложения", length=6)
            else:
                _pending_set(request, totp_secret=None)
                messages.success(
                    request,
                    "Приложение-генератор кодов подключено. Если забудете пароль, им можно будет "
                    "подтвердить, что аккаунт ваш.",
                )
                return redirect("identity:account")
    uri = totp_uri(secret=secret, account=account)
    return _page(
        request,
        "identity/account_totp.html",
        {
            "form": form,
            "error": error,
            "qr_svg": totp_qr_svg(uri),
            "secret": totp_secret_display(secret),
            "replacing": TotpDevice.objects.filter(account_id=account.pk).exists(),
        },
        status=status,
    )


@never_cache
@csrf_protect
@login_required
@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    if totp_disable(account=_me(request), ip=limits.client_ip(request)):
        messages.success(request, "Приложение-генератор кодов отключено.")
    return redirect("identity:account")


# --- Электронная почта -----------------------------------------------------------------------------------


@never_cache
@csrf_protect
@login_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def email(request: HttpRequest) -> HttpResponse:
    """«Добавить почту»: the address, then the code from the letter."""
    account = _me(request)
    if not _recent(request):
        return _reauth(request, title="Добавить почту")
    ip = limits.client_ip(request)
    action = request.POST.get("action", "")
    form = EmailForm()
    error = ""
    status = 200
    if request.method == "GET" and request.GET.get("edit") == "1":
        _pending_set(request, email_code=None)
    elif action == "send":
        form = EmailForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                sent = email_add_send(account=account, email=form.cleaned_data["email"], ip=ip)
            except AccountError as refused:
                form.add_error("email", str(refused))
            except CodeError as refused:
                error = str(refused)
            else:
                _pending_set(request, email_code=sent.pk)
                return redirect("identity:account-email")
    code = _own_code(account, _code_id(request, "email_code"))
    if code is not None and action in {"confirm", "resend"}:
        return _pending_code_step(request, account, code, EMAIL_CODE, action=action, ip=ip)
    if code is not None:
        return _pending_code_screen(request, code, EMAIL_CODE)
    return _page(request, "identity/account_email.html", {"form": form, "error": error}, status=status)


def _email_confirmed(account: Account, code: Code, value: str, ip: str | None) -> str:
    email_confirm(account=account, code_id=code.pk, value=value, ip=ip)
    return "Почта подтверждена. На неё можно будет получить код, если вы забудете пароль."


EMAIL_CODE = _PendingCode(
    key="email_code",
    template="identity/account_email_code.html",
    label="Код из письма",
    context=lambda code: {"email": code.target},
    resend=lambda account, target, ip: email_add_send(account=account, email=target, ip=ip, again=True),
    confirm=_email_confirmed,
    here="identity:account-email",
)


@never_cache
@csrf_protect
@login_required
@require_POST
def email_delete(request: HttpRequest) -> HttpResponse:
    if email_remove(account=_me(request), ip=limits.client_ip(request)):
        messages.success(request, "Почта удалена из аккаунта.")
    return redirect("identity:account")


# --- Доверенные друзья ------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "POST"])
def friends(request: HttpRequest) -> HttpResponse:
    """Choose 2–5 people you know, by their phone numbers; remove any."""
    account = _me(request)
    form = PhoneForm(request.POST or None, label="Номер телефона друга", autofocus=False)
    status = 200
    if request.method == "POST":
        if not _recent(request):
            return _reauth(request, title="Добавить доверенного друга")
        status = 400
        if form.is_valid():
            try:
                friend_add(account=account, phone=form.cleaned_data["phone"], ip=limits.client_ip(request))
            except AccountError as refused:
                form.add_error("phone" if refused.field else None, str(refused))
            else:
                messages.success(request, "Друг добавлен в список доверенных.")
                return redirect("identity:account-friends")
    rows = queries.friends_of(account)
    return _page(
        request,
        "identity/account_friends.html",
        {
            "form": form,
            "friends": rows,
            "full": len(rows) >= MAX_FRIENDS,
            "max_friends": MAX_FRIENDS,
            "min_friends": MIN_FRIENDS,
            "missing": max(0, MIN_FRIENDS - len(rows)),
        },
        status=status,
    )


@never_cache
@csrf_protect
@login_required
@require_POST
def friend_delete(request: HttpRequest, friend_id: int) -> HttpResponse:
    if friend_remove(account=_me(request), friend_id=friend_id, ip=limits.client_ip(request)):
        messages.success(request, "Друг удалён из списка доверенных.")
    return redirect("identity:account-friends")


# --- Активные сеансы, Подключённые сервисы ------------------------------------------------------------------


@never_cache
@csrf_protect
@login_required
@require_POST
def sessions_end(request: HttpRequest) -> HttpResponse:
    """«Выйти на всех устройствах, кроме этого»."""
    account = _me(request)
    ended = sessions_end_others(
        account=account, request=request, ip=limits.client_ip(request), reason="account_page"
    )
    sessions = limits.plural(ended, "сеанс", "сеанса", "сеансов")
    messages.success(
        request,
        f"Готово: завершено {ended} {sessions}. На других устройствах нужно будет войти заново."
        if ended
        else "Готово: на других устройствах нужно будет войти заново.",
    )
    return redirect(f"{reverse('identity:account')}#sessions")


@never_cache
@csrf_protect
@login_required
@require_POST
def service_revoke(request: HttpRequest, application_id: int) -> HttpResponse:
    """«Отключить»: the journal loses every token it holds for this account."""
    account = _me(request)
    names = {row.application_id: row.name for row in queries.services_of(account)}
    if application_id in names:
        service_disconnect(account=account, application_id=application_id, ip=limits.client_ip(request))
        messages.success(
            request,
            f"Сервис «{names[application_id]}» отключён. Чтобы снова войти в него через "
            f"{getattr(settings, 'PARTA_ID_NAME', 'ID')}, понадобится разрешение.",
        )
    return redirect(f"{reverse('identity:account')}#services")
