"""Pages of linking confirmed in the messenger (manual 003) and of the «Видеоконференции» tab.

- the form «Авторизация в Сферум» on the not-linked page: the phone (mask +7 (9XX) XXX-XX-XX, checked
  again on the server) and «Привязать учебный аккаунт Сферум» → ``POST /integration/messenger/`` →
  :func:`parta.integration.actions.link_request_start` → back to the page with the information message;
- the page shows the pending request and, on every load, asks the platform about it
  (``GET /link-requests/{id}``) — so «обновите страницу» after «Подключить» shows the section even when
  the webhook has not arrived; «Не подключать», expiry and «no account» show why, with the form again;
- «Видеоконференции»: ``GET /profiles/{sub}/conferences`` with «Перейти» only while joining is open.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from parta.core.phones import phone_mask
from parta.integration import actions
from parta.integration.actions.link_requests import OUTCOMES
from parta.integration.conf import NotConfiguredError, config_required, linking_methods
from parta.integration.models import LinkRequestState, MessengerLinkRequest
from parta.integration.platform_api import (
    Conference,
    PlatformClient,
    PlatformRefusedError,
    PlatformUnavailableError,
)
from parta.integration.queries import Linked

SENT = (
    "Запрос на привязку отправлен. Для подтверждения перейдите на платформу МАХ: на вкладке «Сферум» "
    "выберите чат от сообщества Сферум, проверьте данные и нажмите «Подключить». После подтверждения "
    "вернитесь в ЭШ и обновите страницу."
)
NOT_YET = "Ссылка будет доступна в момент начала видеоконференции"


def phone_typed(e164: str) -> str:
    """``+7 (952) 111-22-33``: the number as the mask writes it."""
    digits = e164.removeprefix("+")
    if len(digits) == 11 and digits.startswith("7"):
        return f"+7 ({digits[1:4]}) {digits[4:7]}-{digits[7:9]}-{digits[9:11]}"
    return e164


def by_messenger() -> bool:
    return linking_methods() in ("messenger", "both")


def pending_refresh(*, account_id: int) -> None:
    """Before the section is drawn: the page's own status check of a pending request."""
    if not by_messenger():
        return
    if not MessengerLinkRequest.objects.filter(
        account_id=account_id, state=LinkRequestState.PENDING
    ).exists():
        return
    try:
        actions.link_request_refresh(config=config_required(), account_id=account_id)
    except NotConfiguredError:
        return


def not_linked_context(*, account_id: int, phone: str = "", error: str = "") -> dict[str, Any]:
    """What the form «Авторизация в Сферум» shows: the pending request, or how the last one ended."""
    if not by_messenger():
        return {"linking_by_messenger": False}
    latest = MessengerLinkRequest.objects.filter(account_id=account_id).order_by("-created_at", "-pk").first()
    pending = latest if latest is not None and latest.state == LinkRequestState.PENDING else None
    outcome = ""
    if latest is not None and latest.state in OUTCOMES and latest.decided_by != "replaced":
        outcome = OUTCOMES[LinkRequestState(latest.state)]
    return {
        "linking_by_messenger": True,
        "link_request": pending,
        "link_request_phone": phone_mask(pending.phone) if pending else "",
        "link_request_outcome": outcome,
        "link_phone": phone or (phone_typed(latest.phone) if latest is not None else ""),
        "link_error": error,
    }


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """«Привязать учебный аккаунт Сферум»."""
    from parta.integration.views import _not_configured, _unavailable, section

    user_id = request.user.pk
    assert isinstance(user_id, int)
    if not by_messenger():
        return redirect("integration:section")
    phone = request.POST.get("phone", "")[:64]
    try:
        actions.link_request_start(
            config=config_required(), account_id=user_id, phone=phone, actor_id=user_id
        )
    except NotConfiguredError:
        return _not_configured(request)
    except actions.PlatformUnavailableError:
        return _unavailable(request, reverse("integration:section"))
    except actions.LinkError as refused:
        return section(request, link_phone=phone, link_error=str(refused), status=400)
    messages.info(request, SENT)
    return redirect("integration:section")


def conferences_context(*, link: Linked) -> dict[str, Any]:
    """The «Видеоконференции» tab: the profile's conferences in this journal's schools."""
    conferences: list[Conference] = []
    unavailable = False
    try:
        with PlatformClient(config_required()) as api:
            conferences = api.profile_conferences(sub=link.profile_sub)
    except (PlatformUnavailableError, PlatformRefusedError, NotConfiguredError):
        unavailable = True
    return {
        "conferences": conferences,
        "conferences_unavailable": unavailable,
        "not_yet": NOT_YET,
        "now": timezone.now(),
    }
