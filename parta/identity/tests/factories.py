"""Small builders for the ID's rows. Each returns a saved object; every argument has a sensible default."""

from __future__ import annotations

import datetime as dt
import itertools

from oauth2_provider.models import Application

from parta.identity.models import Account, EducationalProfile, Gender, JournalClient, api_token_digest

_seq = itertools.count(1)


def phone() -> str:
    """A fresh Russian mobile number in E.164 (+7 999 1XX-XX-XX)."""
    return f"+79991{next(_seq):06d}"


def account(number: str | None = None, *, password: str | None = None, **extra: object) -> Account:
    """An ID account; without ``password`` it has none (sign-in by code only)."""
    return Account.objects.create_user(number or phone(), password, **extra)


def profile(
    of_account: Account | None = None,
    *,
    last: str = "Иванова",
    first: str = "Мария",
    middle: str = "Петровна",
    birth_date: dt.date = dt.date(1986, 4, 12),
    gender: str = Gender.FEMALE,
) -> EducationalProfile:
    return EducationalProfile.objects.create(
        account=of_account or account(),
        last_name=last,
        first_name=first,
        middle_name=middle,
        birth_date=birth_date,
        gender=gender,
    )


def journal_client(
    display_name: str = "БАРС.Электронная школа",
    *,
    client_id: str | None = None,
    redirect_uri: str = "http://127.0.0.1:8000/integration/callback/",
) -> JournalClient:
    application = Application.objects.create(
        name=display_name,
        client_id=client_id or f"journal-{next(_seq)}",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
    )
    token = f"token-{next(_seq)}"
    return JournalClient.objects.create(
        application=application, display_name=display_name, api_token_digest=api_token_digest(token)
    )


def totp(of_account: Account, *, secret: str | None = None) -> str:
    """Connect a code-generator app to ``of_account``; returns its base32 secret."""
    import pyotp

    from parta.identity.models import TotpDevice

    key = secret or pyotp.random_base32(length=32)
    TotpDevice.objects.create(account=of_account, secret=key)
    return key


def confirmed_email(of_account: Account, address: str = "maria.ivanova@mail.ru") -> Account:
    from django.utils import timezone

    of_account.email = address
    of_account.email_confirmed_at = timezone.now()
    of_account.save(update_fields=["email", "email_confirmed_at"])
    return of_account


def trusted_friends(of_account: Account, count: int = 2) -> list[Account]:
    """``count`` friends with educational profiles, chosen by ``of_account`` as trusted."""
    from parta.identity.models import TrustedFriend

    names = [("Семен", "Власенков"), ("Ольга", "Петрова"), ("Игорь", "Сидоров"), ("Анна", "Орлова")]
    friends = []
    for index in range(count):
        first, last = names[index % len(names)]
        friend = account()
        profile(friend, first=first, last=last, middle="")
        TrustedFriend.objects.create(account=of_account, friend=friend)
        friends.append(friend)
    return friends


def oauth_tokens(of_account: Account, journal: JournalClient | None = None) -> tuple[object, object]:
    """A live access token and its refresh token that ``journal`` holds for ``of_account``."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, RefreshToken

    journal = journal or journal_client()
    access = AccessToken.objects.create(
        user=of_account,
        application=journal.application,
        token=f"access-{next(_seq)}",
        expires=timezone.now() + dt.timedelta(hours=1),
        scope="openid phone edu_profile",
    )
    refresh = RefreshToken.objects.create(
        user=of_account, application=journal.application, token=f"refresh-{next(_seq)}", access_token=access
    )
    return access, refresh
