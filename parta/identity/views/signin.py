"""The sign-in screens of the manuals, in their order (flows 1–3 of issue 3).

«Вход в {ID}» (phone or e-mail) → «Введите пароль» if the account has a password → «Подтвердите вход» by
SMS, call-reset or push → signed in, and on to the educational profile (``views.profile``).

A push to a signed-in messenger session, when there is one, comes first and is enough by itself (the
device is already signed in); «Войти при помощи пароля» and «Подтвердить другим способом» lead to the
password and an SMS or a call instead. Otherwise an account with a password needs the password and a code;
an account without one (or a new phone) needs a code, with the same screens whether the number has an
account or not.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from parta.core.phones import phone_display
from parta.identity import queries
from parta.identity.actions import limits
from parta.identity.actions.codes import (
    CodeDeliveryError,
    CodeError,
    code_dead_message,
    code_lock_seconds,
    code_resend_seconds,
    code_send,
    code_verify,
)
from parta.identity.actions.signin import (
    SigninError,
    account_ensure,
    password_verify,
    signin_complete,
    signin_phone_step,
)
from parta.identity.delivery.push import push_possible
from parta.identity.forms import CodeForm, LoginForm, PasswordForm
from parta.identity.models import Account, Code, CodeChannel, CodePurpose
from parta.identity.views.profile import signed_in_entry
from parta.identity.views.state import SigninFlow, is_account_url, safe_next, screen, to_signin

NO_EMAIL_ACCOUNT = (
    "Не нашли аккаунт с такой подтверждённой почтой. Введите номер мобильного телефона — по нему можно "
    "и войти, и создать учебный профиль."
)
CHANNEL_CHOICES = {
    CodeChannel.SMS: "Получить SMS с кодом",
    CodeChannel.CALL: "Получить звонок-сброс",
    CodeChannel.PUSH: "Получить push-уведомление",
}


def _default_channel() -> str:
    channel = str(getattr(settings, "PARTA_ID_SIGNIN_CHANNEL", "sms"))
    return channel if channel in {CodeChannel.SMS, CodeChannel.CALL} else CodeChannel.SMS


def _can_push(account: Account | None) -> bool:
    return account is not None and account.is_active and push_possible(account_id=account.pk)


def _needs_password(flow: SigninFlow, account: Account | None) -> bool:
    return account is not None and account.has_password and not flow.password_ok


# --- «Вход в {ID}» --------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    """``/id/`` — the entry (``identity:signin``, ``?next=``): the phone step, or who is signed in."""
    flow = SigninFlow.load(request)
    editing = request.GET.get("edit") == "1"  # «Изменить номер телефона»: the same sign-in, another number
    if request.method == "GET" and not editing:
        # A new sign-in: remember where to return and forget the steps of any earlier one.
        flow = SigninFlow(
            next=safe_next(request, request.GET.get("next")), notice="" if flow.phone else flow.notice
        )
        flow.save(request)
    elif request.method == "POST" and not flow.next:
        flow.next = safe_next(request, request.POST.get("next"))
    if request.user.is_authenticated:
        return signed_in_entry(request, flow)

    notice = flow.take_notice(request)
    if request.method == "GET":
        form = LoginForm(initial={"login": phone_display(flow.phone)} if editing and flow.phone else None)
        return _login_screen(request, flow, form, error=notice, success=flow.take_success(request))

    form = LoginForm(request.POST)
    ip = limits.client_ip(request)
    if not form.is_valid():
        return _login_screen(request, flow, form, status=400)
    kind, value = form.cleaned_data["login"]
    try:
        signin_phone_step(ip=ip)
    except SigninError as refused:
        return _login_screen(request, flow, form, error=str(refused), status=429)
    if kind == "email":
        account = queries.account_by_email(value)
        if account is None:
            form.add_error("login", NO_EMAIL_ACCOUNT)
            return _login_screen(request, flow, form, status=400)
        phone = account.phone
    else:
        phone = value
    locked = code_lock_seconds(target=phone)
    if locked:
        form.add_error(
            "login",
            "Слишком много неверных кодов для этого номера. Вход по нему временно заблокирован — "
            f"попробуйте через {limits.wait_text(locked)}.",
        )
        return _login_screen(request, flow, form, status=429)
    flow.restart(phone=phone)
    return _advance(request, flow)


def _login_screen(
    request: HttpRequest,
    flow: SigninFlow,
    form: LoginForm,
    *,
    error: str = "",
    success: str = "",
    status: int = 200,
) -> HttpResponse:
    return screen(
        request,
        "identity/signin.html",
        {
            "form": form,
            "error": error,
            "success": success,
            "shared_data": queries.shared_data(flow.next),
        },
        flow=flow,
        status=status,
    )


# --- the next step ---------------------------------------------------------------------------------------


class _Lookup:
    """«Not read yet»: :func:`_advance` reads the account itself."""


LOOKUP = _Lookup()


def _advance(
    request: HttpRequest, flow: SigninFlow, account: Account | _Lookup | None = LOOKUP
) -> HttpResponse:
    """Send the browser to the step this sign-in needs next, sending a code when that step is a code.

    ``account`` is the account of ``flow.phone`` when the caller has just read it (one query less).
    """
    if isinstance(account, _Lookup):
        account = queries.account_by_phone(flow.phone)
    if flow.code_ok and (flow.code_push or not _needs_password(flow, account)):
        return _finish(request, flow, account)
    if not flow.code_ok and not flow.skip_push and _can_push(account):
        return _send(request, flow, account, CodeChannel.PUSH)
    if _needs_password(flow, account):
        flow.save(request)
        return redirect("identity:password")
    if flow.code_ok:
        return _finish(request, flow, account)
    chosen = flow.channel if flow.channel in {CodeChannel.SMS, CodeChannel.CALL} else _default_channel()
    return _send(request, flow, account, chosen)


def _send(request: HttpRequest, flow: SigninFlow, account: Account | None, channel: str) -> HttpResponse:
    try:
        code = code_send(
            purpose=CodePurpose.SIGNIN,
            channel=channel,
            target=flow.phone,
            account=account,
            ip=limits.client_ip(request),
            reuse_live=True,
        )
    except CodeDeliveryError as failed:
        if channel == CodeChannel.PUSH:
            flow.skip_push = True  # no device took the push: fall back to the other ways
            return _advance(request, flow, account)
        flow.notice = str(failed)
        flow.channel = channel
    except CodeError as refused:
        flow.notice = str(refused)
        flow.channel = channel
    else:
        flow.code_id = code.pk
        flow.channel = code.channel
    flow.save(request)
    return redirect("identity:code")


def _finish(request: HttpRequest, flow: SigninFlow, account: Account | None) -> HttpResponse:
    ip = limits.client_ip(request)
    if account is None:
        account = account_ensure(phone=flow.phone, ip=ip, absent=True)
    method = "push" if flow.code_push else ("password+code" if flow.password_ok else "code")
    try:
        signin_complete(request=request, account=account, method=method, ip=ip)
    except SigninError as refused:
        flow = SigninFlow(next=flow.next, notice=str(refused))
        flow.save(request)
        return to_signin(flow.next)
    # The session now belongs to the account (and has a new id); keep only where to return.
    flow = SigninFlow(next=flow.next, fresh=True)
    flow.save(request)
    if is_account_url(flow.next):
        return HttpResponseRedirect(flow.next)  # «Войти ещё раз» from the account page: straight back
    return redirect("identity:profile")


def _flow_or_entry(request: HttpRequest) -> tuple[SigninFlow, HttpResponseRedirect | None]:
    """The sign-in in progress, or where to go instead (signed in already, or no number entered yet)."""
    flow = SigninFlow.load(request)
    if request.user.is_authenticated or not flow.phone:
        return flow, to_signin(flow.next)
    return flow, None


# --- «Введите пароль» ------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    flow, elsewhere = _flow_or_entry(request)
    if elsewhere:
        return elsewhere
    account = queries.account_by_phone(flow.phone)
    if account is None or not account.has_password:
        return _advance(request, flow, account)
    if flow.password_ok:
        return _advance(request, flow, account)
    form = PasswordForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            password_verify(
                account=account, password=form.cleaned_data["password"], ip=limits.client_ip(request)
            )
        except SigninError as refused:
            error = str(refused)
            status = 400
        else:
            flow.password_ok = True
            flow.skip_push = True  # the person chose the password: the code comes by SMS or call
            return _advance(request, flow, account)
    elif request.method == "POST":
        status = 400
    return screen(
        request,
        "identity/password.html",
        {"form": form, "error": error, "phone": phone_display(flow.phone)},
        flow=flow,
        status=status,
    )


# --- «Подтвердите вход» --------------------------------------------------------------------------------


CODE_LABELS = {
    CodeChannel.SMS: "Введите код",
    CodeChannel.CALL: "Введите 4 цифры",
    CodeChannel.PUSH: "Код",
    CodeChannel.EMAIL: "Код из письма",
}


def _code_screen(
    request: HttpRequest,
    flow: SigninFlow,
    code: Code | None,
    *,
    form: CodeForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    channel = code.channel if code else (flow.channel or _default_channel())
    length = code.length if code else (4 if channel == CodeChannel.CALL else 6)
    form = form or CodeForm(label=CODE_LABELS[CodeChannel(channel)], length=length)
    latest = queries.code_latest(target=flow.phone, purpose=CodePurpose.SIGNIN, channel=channel)
    wait = code_resend_seconds(latest) if latest else 0
    # «Войти при помощи пароля» is offered under a push code only: the account is read for it alone.
    password_instead = channel == CodeChannel.PUSH and _needs_password(
        flow, queries.account_by_phone(flow.phone)
    )
    dead = code_dead_message(code) if code else ""
    return screen(
        request,
        "identity/code.html",
        {
            "form": form,
            "error": error or dead,
            "channel": channel,
            "has_code": code is not None and not dead,
            "phone": phone_display(flow.phone),
            "wait": wait,
            "wait_clock": limits.clock(wait),
            "wait_clock_padded": limits.clock(wait, padded=True),
            "password_instead": password_instead,
        },
        flow=flow,
        status=status,
    )


@never_cache
@csrf_protect
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    flow, elsewhere = _flow_or_entry(request)
    if elsewhere:
        return elsewhere
    current = queries.signin_code(code_id=flow.code_id, target=flow.phone)
    notice = flow.take_notice(request)
    if request.method == "GET" or current is None:
        return _code_screen(request, flow, current, error=notice)
    form = CodeForm(request.POST, label=CODE_LABELS[CodeChannel(current.channel)], length=current.length)
    if not form.is_valid():
        return _code_screen(request, flow, current, form=form, status=400)
    try:
        confirmed = code_verify(
            code_id=current.pk, value=form.cleaned_data["code"], ip=limits.client_ip(request), known=current
        )
    except CodeError as refused:
        # The message says what was wrong; the field is shown empty for the next try.
        current.refresh_from_db()
        return _code_screen(request, flow, current, error=str(refused), status=400)
    flow.code_ok = True
    flow.code_push = confirmed.channel == CodeChannel.PUSH
    return _advance(request, flow)


@never_cache
@csrf_protect
@require_POST
def code_resend(request: HttpRequest) -> HttpResponse:
    """«Отправить SMS», «Позвонить ещё раз»: a new code by the same channel, once its timer has run out."""
    flow, elsewhere = _flow_or_entry(request)
    if elsewhere:
        return elsewhere
    current = queries.signin_code(code_id=flow.code_id, target=flow.phone)
    channel = current.channel if current else (flow.channel or _default_channel())
    account = queries.account_by_phone(flow.phone)
    try:
        sent = code_send(
            purpose=CodePurpose.SIGNIN,
            channel=channel,
            target=flow.phone,
            account=account,
            ip=limits.client_ip(request),
        )
    except CodeError as refused:
        flow.notice = str(refused)
    else:
        flow.code_id = sent.pk
        flow.channel = sent.channel
    flow.save(request)
    return redirect("identity:code")


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def code_other(request: HttpRequest) -> HttpResponse:
    """«Подтвердить другим способом»: SMS, call-reset, or a push when one is possible."""
    flow, elsewhere = _flow_or_entry(request)
    if elsewhere:
        return elsewhere
    account = queries.account_by_phone(flow.phone)
    choices = [CodeChannel.SMS, CodeChannel.CALL]
    if _can_push(account):
        choices.append(CodeChannel.PUSH)
    if request.method == "POST":
        channel = request.POST.get("channel", "")
        if channel in choices:
            flow.channel = channel
            flow.skip_push = channel != CodeChannel.PUSH
            flow.code_ok = False
            if channel == CodeChannel.PUSH:
                return _send(request, flow, account, channel)
            return _advance(request, flow, account)
    return screen(
        request,
        "identity/code_other.html",
        {"choices": [(channel, CHANNEL_CHOICES[channel]) for channel in choices]},
        flow=flow,
    )
