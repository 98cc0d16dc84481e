"""Reads of the ID. The screens ask here; nothing here writes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models.functions import Lower
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)

from parta.core.phones import phone_mask
from parta.identity import sql
from parta.identity.flow import flow_client_id, flow_scopes
from parta.identity.models import (
    Account,
    AccountSession,
    Code,
    CodePurpose,
    EducationalProfile,
    JournalClient,
    RecoveryMethod,
    TotpDevice,
    TrustedFriend,
)

# What a journal receives for each scope («Передаваемые данные»).
SCOPE_DATA = {
    "openid": ["Постоянный идентификатор вашего учебного профиля"],
    "phone": ["Номер телефона и то, что он подтверждён"],
    "edu_profile": ["Фамилия, имя и отчество", "Дата рождения", "Пол"],
}


def account_by_phone(phone: str) -> Account | None:
    # Hand-written (parta.identity.sql): both steps of every sign-in read the account by its phone.
    found = sql.select(Account, "phone = %s", [phone])
    return found[0] if found else None


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


# --- recovery and the account page --------------------------------------------------------------------


def email_mask(email: str) -> str:
    """«ka***@mail.ru», as manual 001 shows the address a recovery code goes to."""
    name, at, domain = email.partition("@")
    if not at:
        return email
    return f"{name[:2]}***@{domain}"


def recovery_methods(account: Account) -> list[str]:
    """The second ways ``account`` has set up, in the order of «Как вы хотите подтвердить…»."""
    methods: list[str] = []
    if TotpDevice.objects.filter(account_id=account.pk).exists():
        methods.append(RecoveryMethod.TOTP)
    if account.email and account.email_confirmed_at is not None:
        methods.append(RecoveryMethod.EMAIL)
    friends = TrustedFriend.objects.filter(account_id=account.pk, friend__is_active=True).count()
    if friends >= 2:  # codes from two different friends are needed
        methods.append(RecoveryMethod.FRIENDS)
    return methods


def account_with_profile_by_phone(phone: str) -> Account | None:
    """An active account with an educational profile: who may be chosen as a trusted friend."""
    return Account.objects.filter(
        phone=phone, is_active=True, pk__in=EducationalProfile.objects.values("account_id")
    ).first()


def trusted_friend(*, account: Account, friend_id: int) -> Account | None:
    """``friend_id``'s account if ``account`` chose it as a trusted friend (and it is active)."""
    return Account.objects.filter(pk=friend_id, is_active=True, trusted_by__account_id=account.pk).first()


@dataclass(frozen=True)
class FriendRow:
    id: int
    name: str  # «Семен В.»: enough to recognise a friend, not a directory of names
    masked_phone: str


def friends_of(account: Account) -> list[FriendRow]:
    rows = []
    trusted = list(
        TrustedFriend.objects.filter(account_id=account.pk).select_related("friend").order_by("pk")
    )
    profiles = {
        profile.account_id: profile
        for profile in EducationalProfile.objects.filter(account_id__in=[t.friend_id for t in trusted])
    }
    for each in trusted:
        friend = each.friend
        profile = profiles.get(friend.pk)
        name = f"{profile.first_name} {profile.last_name[:1]}." if profile else ""
        rows.append(FriendRow(id=friend.pk, name=name, masked_phone=phone_mask(friend.phone)))
    return rows


_BROWSERS = [
    (r"YaBrowser/", "Яндекс Браузер"),
    (r"Edg(e|A|iOS)?/", "Microsoft Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
]
_SYSTEMS = [
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
]


def device_name(user_agent: str) -> str:
    """«Chrome, Windows», «Safari, iPhone»: what «Активные сеансы» calls a browser."""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser}, {system}"
    return browser or system or "Неизвестный браузер"


@dataclass(frozen=True)
class SessionRow:
    device: str
    ip: str
    signed_in_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool


def sessions_of(account: Account, *, current_key: str | None) -> list[SessionRow]:
    """The account's signed-in sessions, this browser's first."""
    rows = [
        SessionRow(
            device=device_name(session.user_agent),
            ip=session.ip or "",
            signed_in_at=session.created_at,
            last_seen_at=session.last_seen_at,
            current=session.session_key == current_key,
        )
        for session in AccountSession.objects.filter(account_id=account.pk).order_by("-last_seen_at")
    ]
    return sorted(rows, key=lambda row: not row.current)


@dataclass(frozen=True)
class ServiceRow:
    application_id: int
    name: str  # the journal's display name («БАРС.Электронная школа»)
    since: dt.datetime


def services_of(account: Account) -> list[ServiceRow]:
    """The journals holding a live token or code of ``account`` («Подключённые сервисы»)."""
    now = timezone.now()
    firsts: dict[int, dt.datetime] = {}
    sources = [
        get_refresh_token_model().objects.filter(user_id=account.pk, revoked__isnull=True),
        get_access_token_model().objects.filter(user_id=account.pk, expires__gt=now),
        get_grant_model().objects.filter(user_id=account.pk, expires__gt=now),
    ]
    for source in sources:
        for application_id, created in source.exclude(application_id=None).values_list(
            "application_id", "created"
        ):
            if application_id not in firsts or created < firsts[application_id]:
                firsts[application_id] = created
    if not firsts:
        return []
    names = dict(
        JournalClient.objects.filter(application_id__in=firsts).values_list("application_id", "display_name")
    )
    applications = dict(get_application_model().objects.filter(pk__in=firsts).values_list("pk", "name"))
    rows = [
        ServiceRow(
            application_id=pk,
            name=names.get(pk) or applications.get(pk) or "Сервис",
            since=since,
        )
        for pk, since in firsts.items()
    ]
    return sorted(rows, key=lambda row: row.name)
