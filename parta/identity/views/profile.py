"""After signing in: whose profile is linked (flows 4–5 of issue 3).

- Already signed in in this browser, with an educational profile → «Ваш профиль для связки» (name, masked
  phone, «Продолжить», «Войти в другой аккаунт» and manual 000's warning about shared computers).
- Just signed in, with a profile → «Выбор учебного профиля» → «Продолжить в учебном профиле».
- Without a profile → «Создайте учебный профиль» → «Создать учебный профиль» (with the warning when the
  sign-in was not made just now).
- Then «Информация о себе» (checked, or filled in) → «Продолжить» → :func:`flow_confirm` and back to
  ``next`` — or, without ``next``, the page «Вы вошли в {ID}».
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from parta.core.phones import phone_mask
from parta.identity import queries
from parta.identity.actions import limits
from parta.identity.actions.profiles import ProfileError, profile_save
from parta.identity.actions.signin import signout
from parta.identity.flow import flow_confirm
from parta.identity.forms import AboutForm
from parta.identity.models import Account
from parta.identity.views.state import SigninFlow, is_account_url, screen, to_signin


def _account(request: HttpRequest) -> Account | None:
    user = request.user
    return user if isinstance(user, Account) and user.is_authenticated else None


def account_card(account: Account) -> dict[str, str]:
    profile = queries.profile_of(account)
    return {
        "name": profile.display_name if profile else "",
        "full_name": profile.full_name if profile else "",
        "masked_phone": phone_mask(account.phone),
    }


def signed_in_entry(request: HttpRequest, flow: SigninFlow) -> HttpResponse:
    """``/id/`` when this browser is signed in already."""
    account = _account(request)
    assert account is not None
    if not flow.next:
        return screen(request, "identity/signed_in.html", {"card": account_card(account)}, flow=flow)
    flow.fresh = False
    flow.save(request)
    if is_account_url(flow.next):
        return HttpResponseRedirect(flow.next)
    if queries.profile_of(account) is None:
        return redirect("identity:profile")
    return redirect("identity:confirm")


@never_cache
def confirm(request: HttpRequest) -> HttpResponse:
    """«Ваш профиль для связки»: who is signed in here, before anything is linked."""
    flow = SigninFlow.load(request)
    account = _account(request)
    if account is None:
        return to_signin(flow.next)
    if queries.profile_of(account) is None:
        return redirect("identity:profile")
    return screen(request, "identity/confirm.html", {"card": account_card(account)}, flow=flow)


@never_cache
def profile(request: HttpRequest) -> HttpResponse:
    """«Выбор учебного профиля» or «Создайте учебный профиль»."""
    flow = SigninFlow.load(request)
    account = _account(request)
    if account is None:
        return to_signin(flow.next)
    has_profile = queries.profile_of(account) is not None
    return screen(
        request,
        "identity/profile_choose.html" if has_profile else "identity/profile_create.html",
        {"card": account_card(account), "warn_shared": not flow.fresh},
        flow=flow,
    )


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def about(request: HttpRequest) -> HttpResponse:
    """«Информация о себе»: Имя, Фамилия, Отчество, День рождения, Пол → «Продолжить»."""
    flow = SigninFlow.load(request)
    account = _account(request)
    if account is None:
        return to_signin(flow.next)
    current = queries.profile_of(account)
    initial = (
        {
            "first_name": current.first_name,
            "last_name": current.last_name,
            "middle_name": current.middle_name,
            "birth_date": current.birth_date,
            "gender": current.gender,
        }
        if current
        else None
    )
    form = AboutForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                profile_save(
                    account=account,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    middle_name=data["middle_name"],
                    birth_date=data["birth_date"],
                    gender=data["gender"],
                    ip=limits.client_ip(request),
                )
            except ProfileError as refused:
                form.add_error(refused.field if refused.field in form.fields else None, str(refused))
            else:
                next_url, fresh = flow.next, flow.fresh
                SigninFlow().save(request)
                if not next_url:
                    return to_signin()
                flow_confirm(request, next_url=next_url, fresh=fresh)
                return HttpResponseRedirect(next_url)
    return screen(
        request,
        "identity/about.html",
        {
            "form": form,
            "creating": current is None,
            "back": "identity:profile" if flow.fresh or not current else "identity:confirm",
        },
        flow=flow,
        status=status,
    )


@never_cache
@csrf_protect
@require_POST
def other_account(request: HttpRequest) -> HttpResponse:
    """«Войти в другой аккаунт»: sign this browser out and start again, for the same journal."""
    flow = SigninFlow.load(request)
    signout(request=request, ip=limits.client_ip(request))
    return to_signin(flow.next)


@never_cache
@csrf_protect
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """«Выйти» on «Вы вошли в {ID}»."""
    signout(request=request, ip=limits.client_ip(request))
    return to_signin()
