"""Journals registered with the platform: an OpenID Connect client of the ID and an API v1 token.

:func:`journal_client_register` creates a journal or brings an existing one to what the operator asked
for. Its client secret and API token are returned in clear only when they are issued (on creation, or
when asked to rotate): the database keeps the secret hashed (django-oauth-toolkit's ``ClientSecretField``
with Django's password hasher) and the token as its SHA-256, so neither can be shown again.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth.hashers import check_password, identify_hasher
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from parta.identity.actions.audit import audit_record
from parta.identity.models import Account, AuditKind, JournalClient, api_token_digest

log = logging.getLogger(__name__)
Application = get_application_model()

API_TOKEN_PREFIX = "parta_"  # noqa: S105 -- the prefix of every token, not a secret
API_TOKEN_BYTES = 32
API_TOKEN_HINT_LENGTH = 10
CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
DISPLAY_NAME_MAX_LENGTH = 200


class JournalClientError(Exception):
    """A refused registration; ``str(error)`` is a Russian message for the operator."""


@dataclass(frozen=True)
class JournalClientRegistration:
    """What a registration did. ``client_secret`` and ``api_token`` are set only when they were issued
    by this call, and are the only time anyone sees them."""

    client: JournalClient
    created: bool
    client_secret: str | None
    api_token: str | None


def api_token_generate() -> str:
    """A new API token: ``parta_`` and 32 random bytes, URL-safe (the prefix lets secret scanners spot it)."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(API_TOKEN_BYTES)


def _clean_uris(uris: Sequence[str], *, what: str, required: bool) -> list[str]:
    cleaned: list[str] = []
    schemes = list(oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES)
    for uri in (u.strip() for u in uris):
        if not uri:
            continue
        parts = urlsplit(uri)
        if any(ch.isspace() for ch in uri) or parts.scheme not in schemes or not parts.hostname:
            allowed = " или ".join(f"{scheme}://" for scheme in schemes)
            raise JournalClientError(
                f"{what} «{uri}» должен быть полным адресом ({allowed}…) с именем сервера."
            )
        if parts.fragment or "#" in uri:
            raise JournalClientError(f"{what} «{uri}» не может содержать фрагмент (#…).")
        if "*" in uri:
            raise JournalClientError(f"{what} «{uri}» должен быть точным адресом, без «*».")
        if uri not in cleaned:
            cleaned.append(uri)
    if required and not cleaned:
        raise JournalClientError(f"Укажите хотя бы один {what.lower()}.")
    return cleaned


def journal_client_register(
    *,
    client_id: str,
    display_name: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = (),
    rotate_secret: bool = False,
    rotate_api_token: bool = False,
) -> JournalClientRegistration:
    """Register the journal ``client_id``, or update it to these values (registering twice changes nothing).

    ``redirect_uris`` and ``post_logout_redirect_uris`` replace the registered ones. A new journal gets a
    client secret and an API token; an existing one keeps both unless ``rotate_secret`` /
    ``rotate_api_token`` asks for new ones (the old ones stop working at once). The journal is a
    confidential client of the authorization-code flow, its ID tokens signed with RS256, and trusted:
    no consent page of the ID (the person consents on the journal's side, «Привязать»).
    """
    client_id = (client_id or "").strip()
    display_name = " ".join((display_name or "").split())
    if not CLIENT_ID_PATTERN.fullmatch(client_id):
        raise JournalClientError(
            "Идентификатор клиента (client_id) — от 1 до 100 латинских букв, цифр, точек, дефисов и "
            "подчёркиваний, начиная с буквы или цифры."
        )
    if not display_name:
        raise JournalClientError("Укажите название журнала, которое увидят пользователи.")
    if len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise JournalClientError(f"Название журнала — не длиннее {DISPLAY_NAME_MAX_LENGTH} символов.")
    redirects = _clean_uris(redirect_uris, what="Адрес возврата", required=True)
    logout_redirects = _clean_uris(post_logout_redirect_uris, what="Адрес после выхода", required=False)

    with transaction.atomic():
        application = Application.objects.select_for_update().filter(client_id=client_id).first()
        created = application is None
        client_secret: str | None = None
        if application is None:
            application = Application(client_id=client_id)
            rotate_secret = True
        if rotate_secret:
            client_secret = generate_client_secret()
            application.client_secret = client_secret
        application.hash_client_secret = True  # the field hashes a clear secret when saved
        application.name = display_name
        application.client_type = Application.CLIENT_CONFIDENTIAL
        application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        application.algorithm = Application.RS256_ALGORITHM
        application.redirect_uris = " ".join(redirects)
        application.post_logout_redirect_uris = " ".join(logout_redirects)
        application.skip_authorization = True
        application.save()

        journal = JournalClient.objects.select_for_update().filter(application=application).first()
        api_token: str | None = None
        if journal is None:
            journal = JournalClient(application=application)
            rotate_api_token = True
        if rotate_api_token:
            api_token = api_token_generate()
            journal.api_token_digest = api_token_digest(api_token)
            journal.api_token_hint = api_token[:API_TOKEN_HINT_LENGTH]
        journal.display_name = display_name
        journal.save()

    log.info(
        "Журнал %s (%s) %s%s%s.",
        client_id,
        display_name,
        "зарегистрирован" if created else "обновлён",
        "; выдан новый секрет" if client_secret and not created else "",
        "; выдан новый токен API" if api_token and not created else "",
    )
    return JournalClientRegistration(
        client=journal, created=created, client_secret=client_secret, api_token=api_token
    )


def journal_client_credentials_check(
    *, client_id: str, client_secret: str, api_token: str
) -> tuple[bool, bool]:
    """Whether a secret and an API token (say, from a file written at registration) are still the
    journal's own: ``(secret is current, token is current)``."""
    journal = (
        JournalClient.objects.select_related("application").filter(application__client_id=client_id).first()
    )
    if journal is None:
        return False, False
    stored = journal.application.client_secret
    try:
        identify_hasher(stored)
        secret_ok = check_password(client_secret, stored)
    except ValueError:  # a secret stored in clear by an older registration
        secret_ok = secrets.compare_digest(client_secret.encode(), stored.encode())
    token_ok = secrets.compare_digest(api_token_digest(api_token), journal.api_token_digest)
    return bool(secret_ok), token_ok


def journal_client_update(
    *,
    client_id: str,
    display_name: str | None = None,
    is_active: bool | None = None,
    by: object = None,
) -> JournalClient:
    """Rename a journal or switch it off and on (the administration, ``parta platform switch_journal``).

    A journal switched off gets no codes and no tokens, its tokens stop working at the userinfo endpoint
    and in API v1 (``public.journal_client_by_api_token``), and its sign-in links show «Сервис «…»
    отключён». Nothing is deleted: switched on again, it works with the same secret, token and grants.
    """
    name = " ".join(display_name.split()) if display_name is not None else None
    if name is not None and not name:
        raise JournalClientError("Укажите название журнала, которое увидят пользователи.")
    if name is not None and len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise JournalClientError(f"Название журнала — не длиннее {DISPLAY_NAME_MAX_LENGTH} символов.")
    with transaction.atomic():
        journal = (
            JournalClient.objects.select_for_update()
            .select_related("application")
            .filter(application__client_id=client_id)
            .first()
        )
        if journal is None:
            raise JournalClientError(f"Журнал с client_id «{client_id}» не зарегистрирован.")
        before = (journal.display_name, journal.is_active)
        if name is not None:
            journal.display_name = name
        if is_active is not None:
            journal.is_active = is_active
        if (journal.display_name, journal.is_active) == before:
            return journal
        journal.save(update_fields=["display_name", "is_active"])
        if name is not None and journal.application.name != name:
            journal.application.name = name
            journal.application.save(update_fields=["name"])
    operator = by if isinstance(by, Account) else None
    if journal.is_active != before[1]:
        kind = AuditKind.JOURNAL_SWITCHED_ON if journal.is_active else AuditKind.JOURNAL_SWITCHED_OFF
        audit_record(kind=kind, account=operator, target=client_id, name=journal.display_name)
    if journal.display_name != before[0]:
        audit_record(
            kind=AuditKind.JOURNAL_CHANGED,
            account=operator,
            target=client_id,
            name=journal.display_name,
            previous=before[0],
        )
    log.info(
        "Журнал %s (%s) %s.",
        client_id,
        journal.display_name,
        "включён" if journal.is_active else "отключён",
    )
    return journal
