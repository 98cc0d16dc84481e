"""Reads of the integration."""

from __future__ import annotations

from dataclasses import dataclass

from parta.integration.actions.bindings import live_bindings
from parta.integration.models import Binding, BindingState, LinkRefusal
from parta.journal.public import AccountRole, account_info


@dataclass(frozen=True)
class Linked:
    """The account's live link: its profile and the schools it is bound in."""

    profile_sub: str
    profile_name: str
    phone: str
    org_refs: tuple[str, ...]
    roles: tuple[str, ...]


def linked(*, account_id: int) -> Linked | None:
    rows = list(Binding.objects.filter(account_id=account_id, state=BindingState.ACTIVE).order_by("pk"))
    if not rows:
        return None
    return Linked(
        profile_sub=rows[0].profile_sub,
        profile_name=rows[0].profile_name,
        phone=rows[0].phone,
        org_refs=tuple(dict.fromkeys(row.org_ref for row in rows)),
        roles=tuple(row.role for row in rows),
    )


def link_gaps(*, account_id: int) -> list[AccountRole]:
    """The roles (per school) of a linked account that no live binding holds yet — a school or role it
    gained after linking, bound by the next reconcile or by linking again with the same profile (a
    pending binding left by a crash is not one). Empty when the account is not linked."""
    rows = list(live_bindings().filter(account_id=account_id).values_list("role", "org_ref", "state"))
    if not any(state == BindingState.ACTIVE for _, _, state in rows):
        return []
    account = account_info(account_id=account_id)
    if account is None:
        return []
    have = {(role, org_ref) for role, org_ref, _ in rows}
    return [role for role in account.roles if (role.role, role.school_ref) not in have]


def phone_section(e164: str) -> str:
    """``+7(952) 111-11-11`` — «Телефон, привязанный к Сферум» as manual 003 writes the mask."""
    digits = e164.removeprefix("+")
    if len(digits) == 11 and digits.startswith("7"):
        return f"+7({digits[1:4]}) {digits[4:7]}-{digits[7:9]}-{digits[9:11]}"
    return e164


@dataclass(frozen=True)
class Refused:
    """A school where the platform refused the account's profile for good, as the section shows it."""

    school: str  # «Школа № 2 (учитель)»
    detail: str  # the platform's own words


def link_refusals(*, account_id: int, gaps: list[AccountRole]) -> tuple[list[AccountRole], list[Refused]]:
    """Split the account's ``gaps`` (:func:`link_gaps`) into those the automatic extension will still bind
    and the schools the platform refused for the account's profile (not cleared), one per school."""
    if not gaps:
        return [], []
    sub = (
        Binding.objects.filter(account_id=account_id, state=BindingState.ACTIVE)
        .values_list("profile_sub", flat=True)
        .first()
    )
    refusals = {
        (row.role, row.org_ref): row
        for row in LinkRefusal.objects.filter(account_id=account_id, profile_sub=sub, cleared_at__isnull=True)
    }
    waiting = [role for role in gaps if (role.role, role.school_ref) not in refusals]
    by_school: dict[str, tuple[list[str], str]] = {}
    for role in gaps:
        found = refusals.get((role.role, role.school_ref))
        if found is not None:
            labels, _ = by_school.setdefault(role.school_name, ([], found.detail.strip().rstrip(".")))
            labels.append(role.label)
    refused = [
        Refused(school=f"{name} ({', '.join(labels)})", detail=detail)
        for name, (labels, detail) in by_school.items()
    ]
    return waiting, refused
