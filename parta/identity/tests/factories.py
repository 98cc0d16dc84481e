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
