"""The integration's pages on the journal site: the «Сферум» section («Мессенджер не подключен» until
linked), linking through the ID (connect → the ID → callback → «Добавление профиля «Сферум»»), and
unlinking. Thin: parse, check, one action, render. Faults of the platform are a page with «Повторить»,
never a 500.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from parta.core.phones import phone_mask
from parta.integration import actions, link_requests, oidc, queries
from parta.integration.conf import NotConfiguredError, config, config_required, linking_methods
from parta.integration.platform_api import PlatformClient, PlatformRefusedError, PlatformUnavailableError
from parta.journal.public import account_active_role, account_info

AUTHORIZE_KEY = "integration:authorize"
CONSENT_KEY = "integration:consent"
FLOW_SECONDS = 15 * 60  # each step (to the ID and back; then the consent window) within this time
STAFF_ROLES = frozenset({"teacher", "administrator"})


def _account_id(request: HttpRequest) -> int:
    user_id = request.user.pk
    assert isinstance(user_id, int)  # guaranteed by login_required
    return user_id


def _unavailable(request: HttpRequest, retry_url: str) -> HttpResponse:
    return render(
        request,
        "integration/problem.html",
        {
            "title": "Сервис Сферум временно недоступен",
            "text": "Не удалось связаться с платформой «Сферум». Ничего не изменилось: попробуйте ещё раз "
            "через несколько минут.",
            "retry_url": retry_url,
            "retry_label": "Повторить",
        },
        status=503,
    )


def _problem(request: HttpRequest, *, title: str, text: str, status: int = 400) -> HttpResponse:
    return render(
        request,
        "integration/problem.html",
        {
            "title": title,
            "text": text,
            "retry_url": reverse("integration:connect"),
            "retry_label": "Перейти к подключению",
        },
        status=status,
    )


def _not_configured(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "integration/problem.html",
        {
            "title": "Подключение к Сферум не настроено",
            "text": "Школа ещё не настроила связь журнала со «Сферум». Обратитесь к администратору школы.",
        },
        status=503,
    )


@login_required
def section(
    request: HttpRequest, *, link_phone: str = "", link_error: str = "", status: int = 200
) -> HttpResponse:
    """The chats icon, «Авторизация в Сферум», the «Сферум» section."""
    account_id = _account_id(request)
    link_requests.pending_refresh(account_id=account_id)  # manual 003: «обновите страницу»
    link = queries.linked(account_id=account_id)
    current = config()
    role = account_active_role(session=request.session, account_id=account_id)
    if link is None:
        return render(
            request,
            "integration/not_linked.html",
            {
                "journal_name": current.journal_name,
                "id_name": current.id_name,
                "is_staff_role": role in STAFF_ROLES,
                "linking_by_id": linking_methods() in ("id", "both"),
                **link_requests.not_linked_context(account_id=account_id, phone=link_phone, error=link_error),
            },
            status=status,
        )
    tab = "conferences" if request.GET.get("tab") == "conferences" else "chats"
    waiting, refused = queries.link_refusals(
        account_id=account_id, gaps=queries.link_gaps(account_id=account_id)
    )
    chats: list[Any] = []
    chats_unavailable = False
    if tab == "chats":
        try:
            with PlatformClient(config_required()) as api:
                for org_ref in link.org_refs:
                    chats.extend(api.profile_chats(sub=link.profile_sub, org_ref=org_ref))
        except (PlatformUnavailableError, PlatformRefusedError, NotConfiguredError):
            chats_unavailable = True
    return render(
        request,
        "integration/section.html",
        {
            "link": link,
            "tab": tab,
            "phone": queries.phone_section(link.phone),
            "chats": chats,
            "chats_unavailable": chats_unavailable,
            "platform_url": (current.platform_url or "") + "/",
            "unlink_allowed": actions.unlink_allowed(account_id=account_id),
            "new_year_notice": tab == "chats" and actions.new_year_notice_take(account_id=account_id),
            "link_gaps": _gap_schools(waiting),
            "link_refused": refused,
            "linking_by_id": linking_methods() in ("id", "both"),
            **(link_requests.conferences_context(link=link) if tab == "conferences" else {}),
        },
    )


def _gap_schools(gaps: list[Any]) -> list[str]:
    """«Школа № 2 (родитель)» per school not bound yet, for the section's note."""
    labels: dict[str, list[str]] = {}
    for role in gaps:
        labels.setdefault(role.school_name, []).append(role.label)
    return [f"{name} ({', '.join(roles)})" for name, roles in labels.items()]


def _redirect_uri(request: HttpRequest) -> str:
    return config().redirect_uri or request.build_absolute_uri(reverse("integration:callback"))


@login_required
def connect(request: HttpRequest) -> HttpResponse:
    """«Подключить», «Перейти к подключению», «Привязать учебный профиль …»: off to the ID."""
    account_id = _account_id(request)
    if linking_methods() == "messenger":
        # «Партнеры» → «Подключить» (and any old link here) lead to the phone form of manual 003.
        return redirect("integration:section")
    if queries.linked(account_id=account_id) is not None and not queries.link_gaps(account_id=account_id):
        return redirect("integration:section")  # linked in all its schools: nothing to link
    try:
        current = config_required()
        redirect_uri = _redirect_uri(request)
        outgoing = oidc.authorize_request(config=current, redirect_uri=redirect_uri)
    except NotConfiguredError:
        return _not_configured(request)
    except PlatformUnavailableError:
        return _unavailable(request, reverse("integration:connect"))
    request.session[AUTHORIZE_KEY] = {
        "state": outgoing.state,
        "nonce": outgoing.nonce,
        "code_verifier": outgoing.code_verifier,
        "account_id": account_id,
        "redirect_uri": redirect_uri,
        "started": time.time(),
    }
    request.session.pop(CONSENT_KEY, None)
    return redirect(outgoing.url)


LOST = (
    "Ссылка подключения устарела или уже использована",
    "Подключение нужно начать заново из журнала: нажмите «Перейти к подключению». Если вы открыли "
    "ссылку из другой вкладки или другого браузера, продолжайте там, где начали.",
)


@login_required
def callback(request: HttpRequest) -> HttpResponse:
    """Back from the ID: check state (once), the account, ``iss``, then exchange the code."""
    pending = request.session.pop(AUTHORIZE_KEY, None)
    state = request.GET.get("state", "")
    if (
        not isinstance(pending, dict)
        or not state
        or not secrets.compare_digest(str(pending.get("state", "")), state)
        or pending.get("account_id") != _account_id(request)
        or time.time() - float(pending.get("started", 0)) > FLOW_SECONDS
    ):
        return _problem(request, title=LOST[0], text=LOST[1])
    try:
        current = config_required()
    except NotConfiguredError:
        return _not_configured(request)
    if request.GET.get("error"):
        return _problem(
            request,
            title="Вход в Сферум ID не завершён",
            text="Сферум ID не подтвердил вход. Попробуйте подключиться ещё раз.",
        )
    issuer = request.GET.get("iss")
    code = request.GET.get("code", "")
    if (issuer is not None and issuer.rstrip("/") != current.issuer) or not code:
        return _problem(request, title=LOST[0], text=LOST[1])
    try:
        claims = oidc.code_exchange(
            config=current,
            redirect_uri=str(pending["redirect_uri"]),
            code=code,
            code_verifier=str(pending["code_verifier"]),
            nonce=str(pending["nonce"]),
        )
    except PlatformUnavailableError:
        return _unavailable(request, reverse("integration:connect"))
    except oidc.IdTokenError:
        return _problem(request, title=LOST[0], text=LOST[1])
    request.session[CONSENT_KEY] = {
        "account_id": _account_id(request),
        "claims": claims.as_session(),
        "started": time.time(),
    }
    return redirect("integration:consent")


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest) -> HttpResponse:
    """«Добавление профиля «Сферум»»: «Отмена» / «Привязать»."""
    account_id = _account_id(request)
    pending = request.session.get(CONSENT_KEY)
    if (
        not isinstance(pending, dict)
        or pending.get("account_id") != account_id
        or time.time() - float(pending.get("started", 0)) > FLOW_SECONDS
    ):
        request.session.pop(CONSENT_KEY, None)
        return _problem(request, title=LOST[0], text=LOST[1])
    claims = oidc.ProfileClaims.from_session(pending["claims"])
    current = config()
    if request.method == "POST":
        if request.POST.get("action") != "link":
            request.session.pop(CONSENT_KEY, None)
            messages.info(request, "Привязка отменена. Учебный профиль «Сферум» не привязан.")
            return redirect("integration:section")
        try:
            actions.binding_create(
                config=config_required(), account_id=account_id, claims=claims, actor_id=account_id
            )
        except NotConfiguredError:
            return _not_configured(request)
        except actions.PlatformUnavailableError:
            return _unavailable(request, reverse("integration:consent"))
        except actions.NotStoredError as failed:
            return render(
                request,
                "integration/problem.html",
                {
                    "title": "Привязка не сохранена",
                    "text": str(failed),
                    "retry_url": reverse("integration:consent"),
                    "retry_label": "Повторить",
                },
                status=503,
            )
        except actions.LinkError as refused:
            request.session.pop(CONSENT_KEY, None)
            return _problem(request, title="Привязка невозможна", text=str(refused), status=409)
        request.session.pop(CONSENT_KEY, None)
        messages.success(request, "Ваш учебный профиль «Сферум» привязан к вашей учетной записи.")
        return redirect("integration:section")
    account = account_info(account_id=account_id)
    return render(
        request,
        "integration/consent.html",
        {
            "profile_name": claims.full_name,
            "profile_phone": phone_mask(claims.phone) if claims.phone else "",
            "account_name": account.display_name if account else "",
            "account_login": account.username if account else "",
            "journal_name": current.journal_name,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def unlink(request: HttpRequest) -> HttpResponse:
    """«Отвязать учетную запись» → «Да» (004), or «Внешние аккаунты» → «Отвязать» (000)."""
    account_id = _account_id(request)
    link = queries.linked(account_id=account_id)
    from_security = request.GET.get("from") == "security"
    back = reverse("journal:settings-security") if from_security else reverse("integration:section")
    if link is None:
        return redirect(back)
    if not actions.unlink_allowed(account_id=account_id):
        return render(request, "integration/unlink_support.html", {"back": back}, status=403)
    if request.method == "POST":
        if request.POST.get("action") != "unlink":
            return redirect(back)
        try:
            actions.binding_end(
                config=config_required(),
                account_id=account_id,
                actor_id=account_id,
                reason="отвязано пользователем",
            )
        except NotConfiguredError:
            return _not_configured(request)
        except actions.PlatformUnavailableError:
            return _unavailable(request, request.get_full_path())
        except actions.UnlinkError:
            return render(request, "integration/unlink_support.html", {"back": back}, status=403)
        messages.success(request, "Учебный профиль «Сферум» отвязан от вашей учетной записи.")
        return redirect(back)
    return render(
        request,
        "integration/unlink.html",
        {
            "link": link,
            "phone": phone_mask(link.phone) if link.phone else "",
            "from_security": from_security,
            "back": back,
        },
    )
