"""The integration as a partner service of the journal (``parta.journal.public.partner_register``): what
«Партнеры», «Безопасность» → «Внешние аккаунты» and the chats icon of the header show."""

from __future__ import annotations

from django.urls import reverse

from parta.core.phones import phone_mask
from parta.integration import queries
from parta.integration.actions import unlink_allowed
from parta.journal.public import PartnerStatus


class SferumPartner:
    key = "sferum"
    name = "Сферум"
    description = (
        "Учебный профиль «Сферум»: чаты школы, класса и родителей и онлайн-уроки. "
        "Привяжите к нему свою учётную запись журнала."
    )

    def status(self, *, account_id: int) -> PartnerStatus:
        link = queries.linked(account_id=account_id)
        if link is None:
            return PartnerStatus(connected=False, connect_url=reverse("integration:connect"))
        return PartnerStatus(
            connected=True,
            external_id=link.profile_sub,
            external_label=phone_mask(link.phone) if link.phone else link.profile_name,
            manage_url=reverse("integration:section"),
            unlink_url=(
                reverse("integration:unlink") + "?from=security"
                if unlink_allowed(account_id=account_id)
                else ""
            ),
        )

    def chats_url(self, *, account_id: int) -> str:
        return reverse("integration:section")
