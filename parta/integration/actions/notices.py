"""Notices the «Сферум» section shows once per account."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from parta.integration.models import NewYearNotice
from parta.journal.public import account_year_move

NEW_YEAR = (
    "Вы были переведены на новый учебный год! Ниже будут отображены чаты, в которых вы являетесь участником"
)


def new_year_notice_take(*, account_id: int) -> bool:
    """Should the section show «Вы были переведены на новый учебный год!…» now? ``True`` once per account
    and school year, after the rollover promoted the account's student (or a parent's child)."""
    move = account_year_move(account_id=account_id)
    if move is None:
        return False
    try:
        with transaction.atomic():
            _, created = NewYearNotice.objects.get_or_create(account_id=account_id, year_ref=move.year_ref)
    except IntegrityError:  # the same page opened twice at once: the other one shows it
        return False
    return created
