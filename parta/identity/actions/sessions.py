"""The account's sessions and the services it let in: «Активные сеансы», «Выйти на всех устройствах,
кроме этого», «Подключённые сервисы» → «Отключить», and what a password change or reset ends.

How other sessions are ended (docs/identity.md, «Сеансы»): the ID keeps a row per signed-in session
(:class:`~parta.identity.models.AccountSession`) — Django's session store cannot be searched by
account — and deletes those sessions from the configured store. As a backstop for sessions the table
never saw, the account's ``session_epoch`` is raised: it is part of the session hash that Django's
``AuthenticationMiddleware`` checks on every request, so any session signed with an older epoch is
signed out on its next request, whatever backend holds it. The current session is kept by
``update_session_auth_hash`` (which also gives it a new id).

OAuth tokens (django-oauth-toolkit) are revoked through DOT's own model methods: ``RefreshToken.revoke``
(which also deletes its access token), ``AccessToken.revoke``, ``IDToken.revoke``; unused
authorization codes (``Grant``) are deleted.
"""

from __future__ import annotations

import datetime as dt
import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from parta.identity.actions import limits
from parta.identity.actions.audit import audit_record
from parta.identity.models import Account, AccountSession, AuditKind

SIGNED_IN_AT = "parta_id_signed_in_at"  # when this session signed in (epoch seconds)
SEEN_AT = "parta_id_seen_at"  # when «last seen» was last written for this session


def _user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:400]


def _seen_every() -> int:
    return int(limits.setting("PARTA_ID_SESSION_SEEN_SECONDS", 300))


def _session_store() -> type:
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_register(*, request: HttpRequest, account: Account) -> None:
    """A session has just signed in (Django's ``user_logged_in``): remember it for «Активные сеансы»."""
    if request.session.session_key is None:
        request.session.save()
    key = request.session.session_key
    assert key is not None
    now = timezone.now()
    AccountSession.objects.update_or_create(
        session_key=key,
        defaults={
            "account": account,
            "user_agent": _user_agent(request),
            "ip": limits.client_ip(request),
            "created_at": now,
            "last_seen_at": now,
        },
    )
    request.session[SIGNED_IN_AT] = int(now.timestamp())
    request.session[SEEN_AT] = int(now.timestamp())


def session_seen(*, request: HttpRequest, account: Account) -> None:
    """Note that a signed-in session is in use (at most every ``PARTA_ID_SESSION_SEEN_SECONDS``).

    A session the table does not know yet (signed in before it existed) is added here.
    """
    key = request.session.session_key
    if not key:
        return
    now = int(time.time())
    seen = request.session.get(SEEN_AT)
    if isinstance(seen, int) and now - seen < _seen_every():
        return
    at = timezone.now()
    updated = AccountSession.objects.filter(session_key=key, account=account).update(
        last_seen_at=at, ip=limits.client_ip(request), user_agent=_user_agent(request)
    )
    if not updated:
        try:
            with transaction.atomic():
                AccountSession.objects.filter(session_key=key).delete()  # another account's, once
                AccountSession.objects.create(
                    account=account,
                    session_key=key,
                    user_agent=_user_agent(request),
                    ip=limits.client_ip(request),
                    created_at=at,
                    last_seen_at=at,
                )
        except IntegrityError:
            pass  # a parallel request of the same session added it
    request.session[SEEN_AT] = now


def session_forget(*, session_key: str | None) -> None:
    """The session signed out (Django's ``user_logged_out``) or was flushed: drop its row."""
    if session_key:
        AccountSession.objects.filter(session_key=session_key).delete()


def signed_in_seconds_ago(request: HttpRequest) -> int | None:
    """How long ago this session signed in, or ``None`` when it is not known."""
    at = request.session.get(SIGNED_IN_AT)
    return int(time.time()) - at if isinstance(at, int) else None


def _current_key(request: HttpRequest | None, account: Account) -> str | None:
    if request is None:
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.pk != account.pk:
        return None
    return request.session.session_key


def sessions_end_others(*, account: Account, request: HttpRequest | None, ip: str | None, reason: str) -> int:
    """End every session of ``account`` but this browser's (when this browser is signed in to it).

    Returns how many known sessions were ended. ``account`` is refreshed: it carries the new epoch.
    """
    keep = _current_key(request, account)
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(session_epoch=F("session_epoch") + 1)
        rows = list(
            AccountSession.objects.select_for_update()
            .filter(account_id=account.pk)
            .exclude(session_key=keep or "")
            .order_by("pk")
            .values_list("pk", "session_key")
        )
        AccountSession.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    account.refresh_from_db(fields=["session_epoch", "password"])
    store = _session_store()()
    for _, key in rows:
        store.delete(session_key=key)
    if keep and request is not None:
        # This browser stays signed in: its session gets the new hash (and a new id, for safety).
        # The type checker loads both sides with the journal's user model; here it is the ID's Account.
        update_session_auth_hash(request, account)  # type: ignore[arg-type]
        new_key = request.session.session_key
        if new_key and new_key != keep:
            AccountSession.objects.filter(session_key=keep).update(session_key=new_key)
        request.session[SEEN_AT] = int(time.time())
    audit_record(
        kind=AuditKind.SESSIONS_ENDED,
        account=account,
        target=account.phone,
        ip=ip,
        reason=reason,
        sessions=len(rows),
    )
    return len(rows)


def tokens_revoke(*, account: Account, ip: str | None, reason: str, application_id: int | None = None) -> int:
    """Revoke the OAuth tokens ``account`` gave journals (all of them, or one journal's); returns how many
    tokens and codes were revoked."""
    scope: dict[str, object] = {"user_id": account.pk}
    if application_id is not None:
        scope["application_id"] = application_id
    count = 0
    for refresh in get_refresh_token_model().objects.filter(revoked__isnull=True, **scope).order_by("pk"):
        refresh.revoke()
        count += 1
    for access in get_access_token_model().objects.filter(**scope).order_by("pk"):
        access.revoke()
        count += 1
    for id_token in get_id_token_model().objects.filter(**scope).order_by("pk"):
        id_token.revoke()
        count += 1
    grants, _ = get_grant_model().objects.filter(**scope).delete()
    count += grants
    audit_record(
        kind=AuditKind.TOKENS_REVOKED,
        account=account,
        target=account.phone,
        ip=ip,
        reason=reason,
        tokens=count,
        application=application_id,
    )
    return count


def service_disconnect(*, account: Account, application_id: int, ip: str | None) -> int:
    """«Отключить» a connected service: revoke every token and code that journal holds for the account."""
    return tokens_revoke(account=account, ip=ip, reason="disconnect", application_id=application_id)


def sessions_prune(*, account: Account) -> None:
    """Drop rows of sessions that are gone from the store (expired, or ended elsewhere)."""
    store_class = _session_store()
    age = dt.timedelta(seconds=int(getattr(settings, "SESSION_COOKIE_AGE", 1209600)))
    stale = AccountSession.objects.filter(account_id=account.pk, last_seen_at__lt=timezone.now() - age)
    stale.delete()
    for pk, key in AccountSession.objects.filter(account_id=account.pk).values_list("pk", "session_key"):
        if not store_class().exists(key):
            AccountSession.objects.filter(pk=pk).delete()
