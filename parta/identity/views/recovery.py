"""The recovery screens of manual 001 («Восстановление пароля»), in its order (issue 3, flow 6).

«Забыли или не установили пароль?» → «Восстановление доступа» (the phone) → «Код подтверждения» (SMS)
→ «Проверка аккаунта» → «Как вы хотите подтвердить, что аккаунт принадлежит вам?» → the app's code, the
letter's code, or two friends' codes → «Придумайте новый пароль» → «Вход» again, with the phone filled in.

The browser's session holds only the attempt's id; where it may be is decided from the
:class:`~parta.identity.models.Recovery` row (:func:`_phase`), and every action checks again. A URL of a
later step opened early leads back to the step the attempt is at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parta.core.phones import phone_display, phone_mask
from parta.identity import queries
from parta.identity.actions import limits
from parta.identity.actions.codes import (
    CodeDeliveryError,
    CodeError,
    code_dead_message,
    code_resend_seconds,
)
from parta.identity.actions.passwords import PasswordError, password_rules
from parta.identity.actions.recovery import (
    EXPIRED,
    FRIENDS_NEEDED,
    RecoveryError,
    RecoveryExpiredError,
    recovery_account_check,
    recovery_code_confirm,
    recovery_code_send,
    recovery_complete,
    recovery_email_confirm,
    recovery_email_send,
    recovery_friend_confirm,
    recovery_friend_send,
    recovery_method_choose,
    recovery_start,
    recovery_totp_confirm,
    totp_tries,
)
from parta.identity.actions.signin import SigninError
from parta.identity.forms import CodeForm, NewPasswordForm, PhoneForm
from parta.identity.models import Code, CodePurpose, Recovery, RecoveryMethod
from parta.identity.views.profile import account_card
from parta.identity.views.state import SigninFlow, screen

SESSION_KEY = "parta_id_recovery"
METHOD_STEPS: dict[str, str] = {
    RecoveryMethod.TOTP: "identity:recovery-totp",
    RecoveryMethod.EMAIL: "identity:recovery-email",
    RecoveryMethod.FRIENDS: "identity:recovery-friends",
}
PHASE_STEPS = {
    "start": "identity:recovery",
    "code": "identity:recovery-code",
    "account": "identity:recovery-account",
    "prove": "identity:recovery-method",
    "support": "identity:recovery-support",
    "password": "identity:recovery-password",
}


def _attempt(request: HttpRequest) -> Recovery | None:
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int) or isinstance(pk, bool):
        return None
    return Recovery.objects.select_related("account").filter(pk=pk).first()


def _phase(recovery: Recovery | None) -> str:
    """Where this attempt is: start, code, account, prove (a second way), support, password."""
    if recovery is None or recovery.completed_at is not None or recovery.is_expired():
        return "start"
    if recovery.phone_confirmed_at is None:
        return "code"
    if recovery.account_checked_at is None or recovery.account is None:
        return "account"
    if recovery.proved_at is None:
        return "prove" if queries.recovery_methods(recovery.account) else "support"
    return "password"


def _step_url(recovery: Recovery | None) -> str:
    phase = _phase(recovery)
    if phase == "prove" and recovery is not None and recovery.method in METHOD_STEPS:
        return METHOD_STEPS[recovery.method]
    return PHASE_STEPS[phase]


def _open(
    request: HttpRequest, phase: str, *, method: str = ""
) -> tuple[SigninFlow, Recovery | None, HttpResponse | None]:
    """The attempt, if it is at ``phase`` (and has ``method`` chosen); else where to go instead."""
    flow = SigninFlow.load(request)
    recovery = _attempt(request)
    if recovery is not None and recovery.completed_at is None and recovery.is_expired():
        request.session.pop(SESSION_KEY, None)
        flow.notice = EXPIRED
        flow.save(request)
        return flow, None, redirect("identity:recovery")
    if _phase(recovery) != phase or (method and recovery is not None and recovery.method != method):
        return flow, None, redirect(_step_url(recovery))
    return flow, recovery, None


def _back(recovery: Recovery | None, error: RecoveryError, request: HttpRequest) -> HttpResponse:
    """A refused step: an expired attempt starts again with the message; otherwise go where it is."""
    if isinstance(error, RecoveryExpiredError):
        request.session.pop(SESSION_KEY, None)
        flow = SigninFlow.load(request)
        flow.notice = str(error)
        flow.save(request)
        return redirect("identity:recovery")
    recovery = _attempt(request)
    return redirect(_step_url(recovery))


def _timer(seconds: int) -> dict[str, object]:
    return {"wait": seconds, "wait_clock": limits.clock(seconds)}


# --- «Восстановление доступа»: the phone --------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """``/id/recovery/``: «Введите номер телефона, указанный при регистрации»."""
    flow = SigninFlow.load(request)
    if request.method == "GET":
        initial = {"phone": phone_display(flow.phone)} if flow.phone else None
        return _start_screen(request, flow, PhoneForm(initial=initial), error=flow.take_notice(request))
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _start_screen(request, flow, form, status=400)
    ip = limits.client_ip(request)
    phone = form.cleaned_data["phone"]
    try:
        recovery = recovery_start(phone=phone, ip=ip)
    except SigninError as refused:
        return _start_screen(request, flow, form, error=str(refused), status=429)
    request.session[SESSION_KEY] = recovery.pk
    flow.phone = phone  # «Изменить номер телефона» and the sign-in afterwards start from it
    try:
        recovery_code_send(recovery=recovery, ip=ip)
    except CodeError as refused:
        flow.notice = str(refused)
    flow.save(request)
    return redirect("identity:recovery-code")


def _start_screen(
    request: HttpRequest, flow: SigninFlow, form: PhoneForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    return screen(
        request,
        "identity/recovery_phone.html",
        {
            "form": form,
            "error": error,
            "support_email": getattr(settings, "PARTA_ID_SUPPORT_EMAIL", ""),
        },
        flow=flow,
        status=status,
    )


# --- «Код подтверждения» ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CodeStep:
    """A step that confirms a code the attempt sent (the SMS to the phone, the e-mail's): its screen,
    where its code and its resend timer come from, and what confirms and resends it."""

    phase: str
    method: str
    template: str
    label: str
    code: Callable[[Recovery], Code | None]
    timer_code: Callable[[Recovery], Code | None]
    context: Callable[[Recovery], dict[str, object]]
    confirm: Callable[..., object]
    send: Callable[..., object]
    done: str
    here: str


def _code_screen(
    request: HttpRequest,
    flow: SigninFlow,
    recovery: Recovery,
    step: _CodeStep,
    *,
    form: CodeForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    code = step.code(recovery)
    timer_code = step.timer_code(recovery)
    dead = code_dead_message(code) if code else ""
    return screen(
        request,
        step.template,
        {
            "form": form or CodeForm(label=step.label, length=code.length if code else 6),
            "error": error or dead,
            "has_code": code is not None and not dead,
            **step.context(recovery),
            **_timer(code_resend_seconds(timer_code) if timer_code else 0),
        },
        flow=flow,
        status=status,
    )


def _code_step(request: HttpRequest, step: _CodeStep) -> HttpResponse:
    """GET shows the step; POST checks the code and goes on to ``step.done``."""
    flow, recovery, elsewhere = _open(request, step.phase, method=step.method)
    if elsewhere:
        return elsewhere
    assert recovery is not None
    notice = flow.take_notice(request)
    sent = step.code(recovery)
    if request.method == "GET" or sent is None:
        return _code_screen(request, flow, recovery, step, error=notice)
    form = CodeForm(request.POST, label=step.label, length=sent.length)
    if not form.is_valid():
        return _code_screen(request, flow, recovery, step, form=form, status=400)
    try:
        step.confirm(recovery=recovery, value=form.cleaned_data["code"], ip=limits.client_ip(request))
    except RecoveryError as refused:
        return _back(recovery, refused, request)
    except CodeError as refused:
        recovery.refresh_from_db()
        return _code_screen(request, flow, recovery, step, error=str(refused), status=400)
    return redirect(step.done)


def _code_resend(request: HttpRequest, step: _CodeStep) -> HttpResponse:
    """A new code once the step's timer has run out (the server refuses earlier, with the wait)."""
    flow, recovery, elsewhere = _open(request, step.phase, method=step.method)
    if elsewhere:
        return elsewhere
    assert recovery is not None
    try:
        step.send(recovery=recovery, ip=limits.client_ip(request), again=True)
    except RecoveryError as refused:
        return _back(recovery, refused, request)
    except CodeError as refused:
        flow.notice = str(refused)
        flow.save(request)
    return redirect(step.here)


SMS_STEP = _CodeStep(
    phase="code",
    method="",
    template="identity/recovery_code.html",
    label="Введите код",
    code=lambda recovery: recovery.phone_code,
    timer_code=lambda recovery: queries.code_latest(
        target=recovery.phone, purpose=CodePurpose.RECOVERY, channel="sms"
    ),
    context=lambda recovery: {"phone": phone_display(recovery.phone)},
    confirm=recovery_code_confirm,
    send=recovery_code_send,
    done="identity:recovery-account",
    here="identity:recovery-code",
)


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    return _code_step(request, SMS_STEP)


@never_cache
@csrf_protect
@require_POST
def code_resend(request: HttpRequest) -> HttpResponse:
    """«Отправить SMS» once the timer has run out (the server refuses earlier)."""
    return _code_resend(request, SMS_STEP)


# --- «Проверка аккаунта» ------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """Step 4 of the manual: is this the account to recover? (A number without one is told so now.)"""
    flow, recovery, elsewhere = _open(request, "account")
    if elsewhere:
        return elsewhere
    assert recovery is not None
    if recovery.account is None:
        request.session.pop(SESSION_KEY, None)
        return screen(
            request,
            "identity/recovery_no_account.html",
            {"phone": phone_display(recovery.phone)},
            flow=flow,
        )
    if request.method == "POST":
        try:
            recovery_account_check(recovery=recovery, ip=limits.client_ip(request))
        except RecoveryError as refused:
            return _back(recovery, refused, request)
        return redirect(_step_url(recovery))
    return screen(
        request, "identity/recovery_account.html", {"card": account_card(recovery.account)}, flow=flow
    )


# --- «Как вы хотите подтвердить, что аккаунт принадлежит вам?» ------------------------------------------


def _support_screen(request: HttpRequest, flow: SigninFlow, recovery: Recovery, *, lost: str) -> HttpResponse:
    assert recovery.account is not None
    return screen(
        request,
        "identity/recovery_support.html",
        {
            "masked_phone": phone_mask(recovery.account.phone),
            "support_email": getattr(settings, "PARTA_ID_SUPPORT_EMAIL", ""),
            "lost": lost,
        },
        flow=flow,
    )


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def method(request: HttpRequest) -> HttpResponse:
    """The ways this account has set up, and only those («С помощью …»)."""
    flow, recovery, elsewhere = _open(request, "prove")
    if elsewhere:
        return elsewhere
    assert recovery is not None
    assert recovery.account is not None
    account = recovery.account
    without = request.GET.get("without", "")  # «У меня нет доступа к почте», «Выбрать другой способ»
    methods = [m for m in queries.recovery_methods(account) if m != without]
    if request.method == "POST":
        chosen = request.POST.get("method", "")
        if chosen in methods:
            ip = limits.client_ip(request)
            try:
                recovery_method_choose(recovery=recovery, method=chosen)
                if chosen == RecoveryMethod.EMAIL:
                    recovery_email_send(recovery=recovery, ip=ip)
            except RecoveryError as refused:
                return _back(recovery, refused, request)
            except CodeError as refused:
                flow.notice = str(refused)
                flow.save(request)
            return redirect(METHOD_STEPS[chosen])
    if not methods:
        return _support_screen(request, flow, recovery, lost=without)
    return screen(
        request,
        "identity/recovery_method.html",
        {
            "methods": methods,
            "masked_email": queries.email_mask(account.email),
            "error": flow.take_notice(request),
        },
        flow=flow,
    )


@never_cache
@require_GET
def support(request: HttpRequest) -> HttpResponse:
    """No second way is set up: an SMS alone does not hand over an account with a password."""
    flow, recovery, elsewhere = _open(request, "support")
    if elsewhere:
        return elsewhere
    assert recovery is not None
    return _support_screen(request, flow, recovery, lost="")


# --- the app ----------------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def totp(request: HttpRequest) -> HttpResponse:
    """«Введите код из приложения»."""
    flow, recovery, elsewhere = _open(request, "prove", method=RecoveryMethod.TOTP)
    if elsewhere:
        return elsewhere
    assert recovery is not None
    form = CodeForm(request.POST or None, label="Код из приложения", length=6)
    error = ""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                recovery_totp_confirm(
                    recovery=recovery, value=form.cleaned_data["code"], ip=limits.client_ip(request)
                )
            except RecoveryExpiredError as refused:
                return _back(recovery, refused, request)
            except (RecoveryError, CodeError) as refused:
                error = str(refused)
                form = CodeForm(label="Код из приложения", length=6)
            else:
                return redirect("identity:recovery-password")
    return screen(
        request,
        "identity/recovery_totp.html",
        {"form": form, "error": error, "spent": recovery.totp_attempts >= totp_tries()},
        flow=flow,
        status=status,
    )


# --- the letter ---------------------------------------------------------------------------------------------


def _masked_email(recovery: Recovery) -> dict[str, object]:
    assert recovery.account is not None
    return {"masked_email": queries.email_mask(recovery.account.email)}


EMAIL_STEP = _CodeStep(
    phase="prove",
    method=RecoveryMethod.EMAIL,
    template="identity/recovery_email.html",
    label="Код из письма",
    code=lambda recovery: recovery.email_code,
    timer_code=lambda recovery: recovery.email_code,
    context=_masked_email,
    confirm=recovery_email_confirm,
    send=recovery_email_send,
    done="identity:recovery-password",
    here="identity:recovery-email",
)


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def email(request: HttpRequest) -> HttpResponse:
    """«Введите код из письма» — «Мы отправили код на почту ka***@mail.ru»."""
    return _code_step(request, EMAIL_STEP)


@never_cache
@csrf_protect
@require_POST
def email_resend(request: HttpRequest) -> HttpResponse:
    """«Отправить код повторно» once its timer (4:51 and down) has run out."""
    return _code_resend(request, EMAIL_STEP)


# --- trusted friends ------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def friends(request: HttpRequest) -> HttpResponse:
    """Codes from two different trusted friends, each sent to the friend's chat with the bot."""
    flow, recovery, elsewhere = _open(request, "prove", method=RecoveryMethod.FRIENDS)
    if elsewhere:
        return elsewhere
    assert recovery is not None
    assert recovery.account is not None
    errors: dict[int, str] = {}
    error = flow.take_notice(request)
    status = 200
    if request.method == "POST":
        ip = limits.client_ip(request)
        try:
            friend_id = int(request.POST.get("friend", ""))
        except ValueError:
            friend_id = 0
        try:
            if request.POST.get("action") == "send":
                recovery_friend_send(recovery=recovery, friend_id=friend_id, ip=ip)
                return redirect(f"{reverse('identity:recovery-friends')}#friend-{friend_id}")
            form = CodeForm(request.POST, label="Код", length=6)
            if not form.is_valid():
                errors[friend_id] = " ".join(str(error) for error in form.errors.get("code", []))
                status = 400
            else:
                recovery_friend_confirm(
                    recovery=recovery, friend_id=friend_id, value=form.cleaned_data["code"], ip=ip
                )
                recovery.refresh_from_db()
                if recovery.proved_at is not None:
                    return redirect("identity:recovery-password")
                return redirect("identity:recovery-friends")
        except RecoveryExpiredError as refused:
            return _back(recovery, refused, request)
        except (RecoveryError, CodeError) as refused:
            if isinstance(refused, CodeDeliveryError) or friend_id == 0:
                error = str(refused)
            else:
                errors[friend_id] = str(refused)
            status = 400
        recovery.refresh_from_db()
    confirmed = {int(pk) for pk in recovery.friends_confirmed}
    rows: list[dict[str, Any]] = []
    for friend in queries.friends_of(recovery.account):
        code_id = recovery.friend_codes.get(str(friend.id))
        sent = Code.objects.filter(pk=code_id).first() if isinstance(code_id, int) else None
        dead = code_dead_message(sent) if sent else ""
        rows.append(
            {
                "friend": friend,
                "confirmed": friend.id in confirmed,
                "sent": sent is not None and not dead,
                "dead": dead,
                "error": errors.get(friend.id, ""),
                "form": CodeForm(label=f"Код от {friend.name or friend.masked_phone}", length=6),
            }
        )
    open_rows = {row["friend"].id for row in rows if not row["confirmed"]}
    error = " ".join([error, *(message for pk, message in errors.items() if pk not in open_rows)]).strip()
    return screen(
        request,
        "identity/recovery_friends.html",
        {
            "rows": rows,
            "confirmed": len(confirmed),
            "needed": FRIENDS_NEEDED,
            "error": error,
        },
        flow=flow,
        status=status,
    )


# --- «Придумайте новый пароль» -------------------------------------------------------------------------


@never_cache
@csrf_protect
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    flow, recovery, elsewhere = _open(request, "password")
    if elsewhere:
        return elsewhere
    assert recovery is not None
    assert recovery.account is not None
    form = NewPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                recovery_complete(
                    recovery=recovery,
                    password=form.cleaned_data["password1"],
                    repeat=form.cleaned_data["password2"],
                    request=request,
                    ip=limits.client_ip(request),
                )
            except PasswordError as refused:
                for message in refused.messages:
                    form.add_error(refused.field, message)
            except RecoveryError as refused:
                return _back(recovery, refused, request)
            else:
                request.session.pop(SESSION_KEY, None)
                id_name = getattr(settings, "PARTA_ID_NAME", "ID")
                done = SigninFlow(
                    next=flow.next,
                    phone=recovery.phone,
                    success=f"Пароль изменён. Войдите в {id_name} с новым паролем.",
                )
                done.save(request)
                return redirect(f"{reverse('identity:signin')}?edit=1")
    return screen(
        request,
        "identity/recovery_password.html",
        {"form": form, "rules": password_rules()},
        flow=flow,
        status=status,
    )
