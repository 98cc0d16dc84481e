"""The one way to write the ID's audit log (:class:`~parta.identity.models.AuditEvent`).

Each row is also logged at INFO on ``parta.identity.audit`` with the phone masked. Neither the row nor
the log line ever holds a code or a password: callers pass counts, channels and reasons only.
"""

from __future__ import annotations

import logging
from typing import Any

from parta.core.phones import phone_mask
from parta.identity import sql
from parta.identity.models import Account, AuditEvent, AuditKind

logger = logging.getLogger("parta.identity.audit")
_FORBIDDEN_DETAIL_KEYS = frozenset({"code", "password", "value", "digest", "secret"})


def _masked(target: str) -> str:
    if target.startswith("+"):
        return phone_mask(target)
    name, at, domain = target.partition("@")
    return f"{name[:2]}***{at}{domain}" if at else target


def audit_record(
    *,
    kind: AuditKind | str,
    account: Account | None = None,
    target: str = "",
    channel: str = "",
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Record one security event: ``kind`` from :class:`AuditKind`, ``detail`` without any secret."""
    secret_keys = _FORBIDDEN_DETAIL_KEYS.intersection(detail)
    if secret_keys:
        raise ValueError(f"audit_record refuses secrets in detail: {sorted(secret_keys)}")
    # One hand-written INSERT (parta.identity.sql): every sign-in writes at least one of these rows.
    event = sql.insert(
        AuditEvent(kind=str(kind), account=account, target=target, channel=channel, ip=ip, detail=detail)
    )
    logger.info(
        "%s target=%s channel=%s account=%s ip=%s %s",
        kind,
        _masked(target),
        channel or "-",
        account.pk if account else "-",
        ip or "-",
        detail or "",
    )
    return event
