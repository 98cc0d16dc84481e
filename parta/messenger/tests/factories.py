"""Small builders for the messenger's tests: ID accounts and profiles, journals, organizations, members,
chats. Each returns a saved object; every argument has a sensible default.

The ID's rows are made through Django's user model and ``apps.get_model`` — the messenger does not
import the ID's models (import-linter) — and the messenger's own rows through its actions.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from oauth2_provider.models import Application

from parta.messenger.actions import chat_create, membership_set, organization_register
from parta.messenger.models import Chat, ChatKind, Organization

_seq = itertools.count(1)


def phone() -> str:
    return f"+79995{next(_seq):06d}"


def account(number: str | None = None) -> Any:
    return get_user_model().objects.create_user(number or phone())


def profile(
    of_account: Any = None,
    *,
    last: str = "Иванова",
    first: str = "Мария",
    middle: str = "Петровна",
    birth_date: dt.date = dt.date(1986, 4, 12),
) -> Any:
    return apps.get_model("identity", "EducationalProfile").objects.create(
        account=of_account or account(),
        last_name=last,
        first_name=first,
        middle_name=middle,
        birth_date=birth_date,
        gender="female",
    )


def journal_client(display_name: str = "БАРС.Электронная школа") -> Any:
    n = next(_seq)
    application = Application.objects.create(
        name=display_name,
        client_id=f"journal-{n}",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1:8000/integration/callback/",
        algorithm=Application.RS256_ALGORITHM,
    )
    return apps.get_model("identity", "JournalClient").objects.create(
        application=application, display_name=display_name, api_token_digest=f"{n:064d}"
    )


def organization(name: str | None = None, *, client: Any = None, ref: str | None = None) -> Organization:
    n = next(_seq)
    return organization_register(
        client_id=(client or journal_client()).pk, ref=ref or f"school-{n}", name=name or f"Школа № {n}"
    )


def member(
    of: Organization,
    *roles: str,
    last: str = "Иванова",
    first: str = "Мария",
    middle: str = "Петровна",
    existing: Any = None,
) -> Any:
    """A profile that is a verified member of ``of`` with ``roles`` (a teacher if none are given)."""
    person = existing or profile(last=last, first=first, middle=middle)
    membership_set(organization=of, profile=person, roles=roles or ("teacher",))
    return person


def chat(
    of: Organization,
    *,
    members: Iterable[Any] = (),
    admins: Iterable[Any] = (),
    kind: str = ChatKind.CLASS,
    title: str = "5А — классный чат",
    managed_ref: str | None = None,
) -> Chat:
    """A chat of the organization as its journal would create it (members and admins are profiles)."""
    return chat_create(
        organization=of,
        kind=kind,
        title=title,
        managed_ref=managed_ref if managed_ref is not None else f"group-{next(_seq)}",
        members=[p.pk for p in members],
        admins=[p.pk for p in admins],
    )


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
