"""Reads of the ID. The screens ask here; nothing here writes."""

from __future__ import annotations

from django.conf import settings
from django.db.models.functions import Lower

from parta.identity.flow import flow_client_id, flow_scopes
from parta.identity.models import Account, Code, CodePurpose, EducationalProfile, JournalClient

# What a journal receives for each scope («Передаваемые данные»).
SCOPE_DATA = {
    "openid": ["Постоянный идентификатор вашего учебного профиля"],
    "phone": ["Номер телефона и то, что он подтверждён"],
    "edu_profile": ["Фамилия, имя и отчество", "Дата рождения", "Пол"],
}


def account_by_phone(phone: str) -> Account | None:
    return Account.objects.filter(phone=phone).first()


def account_by_email(email: str) -> Account | None:
    """The account whose confirmed e-mail this is (an unconfirmed address never signs in)."""
    return (
        Account.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=email.lower(), email_confirmed_at__isnull=False)
        .first()
    )


def profile_of(account: Account) -> EducationalProfile | None:
    return EducationalProfile.objects.filter(account_id=account.pk).first()


def client_name(next_url: str) -> str:
    """Who asked: the journal's display name for an authorize URL, else the platform's own name."""
    client_id = flow_client_id(next_url) if next_url else None
    if client_id:
        name = (
            JournalClient.objects.filter(application__client_id=client_id, is_active=True)
            .values_list("display_name", flat=True)
            .first()
        )
        if name:
            return name
    return str(getattr(settings, "PARTA_PLATFORM_NAME", "Сферум"))


def shared_data(next_url: str) -> list[str]:
    """The lines of «Передаваемые данные»: what the asking journal will receive, by its scopes."""
    lines: list[str] = []
    for scope in flow_scopes(next_url) if next_url else []:
        for line in SCOPE_DATA.get(scope, []):
            if line not in lines:
                lines.append(line)
    return lines


def signin_code(*, code_id: int | None, target: str) -> Code | None:
    """The sign-in code this browser is waiting on, if it still belongs to the number being signed in."""
    if not code_id or not target:
        return None
    return Code.objects.filter(pk=code_id, target=target, purpose=CodePurpose.SIGNIN).first()


def code_latest(*, target: str, purpose: str, channel: str) -> Code | None:
    """The latest code of a channel whose timer still counts (not confirmed, not refused by the gateway)."""
    return (
        Code.objects.filter(target=target, purpose=purpose, channel=channel)
        .exclude(state__in=["failed", "used"])
        .order_by("-created_at", "-pk")
        .first()
    )
