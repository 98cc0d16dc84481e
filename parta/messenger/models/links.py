"""Links: a journal's word that an educational profile is this person of its school.

A :class:`Link` ties a profile (by ``sub``) to a journal account (``journal_account_ref``, the journal's
own id of the person) in one of the journal's organizations, with the roles the journal verified; it is
what makes the profile a member of the organization (:class:`Membership`). Per journal, one profile is
one journal account and back: the same person in two schools of one journal is two links with the same
``journal_account_ref``. Written only by :mod:`parta.messenger.actions.links` (API v1).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_save
from django.utils import timezone


class Link(models.Model):
    client = models.ForeignKey(
        "identity.JournalClient", on_delete=models.CASCADE, related_name="links", verbose_name="журнал"
    )
    organization = models.ForeignKey(
        "messenger.Organization", on_delete=models.CASCADE, related_name="links", verbose_name="организация"
    )
    profile = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.CASCADE,
        related_name="journal_links",
        verbose_name="учебный профиль",
    )
    # The profile's sub, kept here (it never changes) so a sync resolves members without a join.
    profile_sub = models.UUIDField("идентификатор профиля (sub)", editable=False)
    journal_account_ref = models.CharField("учётная запись в журнале", max_length=200)
    roles = models.JSONField("роли", default=list)
    display = models.JSONField("как журнал называет человека", default=dict, blank=True)
    created_at = models.DateTimeField("создана", default=timezone.now)
    updated_at = models.DateTimeField("изменена", default=timezone.now)

    class Meta:
        verbose_name = "связь с журналом"
        verbose_name_plural = "связи с журналами"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "profile"], name="messenger_link_one_per_org"),
            models.UniqueConstraint(
                fields=["organization", "journal_account_ref"], name="messenger_link_account_once_per_org"
            ),
        ]
        indexes = [
            models.Index(fields=["client", "journal_account_ref"], name="messenger_link_account"),
            models.Index(fields=["client", "profile"], name="messenger_link_profile"),
            models.Index(fields=["organization", "profile_sub"], name="messenger_link_sub"),
        ]

    def __str__(self) -> str:
        return f"{self.journal_account_ref} → {self.profile_sub}"


def _profile_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """A profile's name changed in the ID: tell the journals linked to it (webhook ``profile.updated``)."""
    if created:
        return
    from parta.messenger.actions.links import profile_changed  # actions import the models

    profile_changed(profile=instance, update_fields=update_fields)


post_save.connect(
    _profile_saved, sender="identity.EducationalProfile", dispatch_uid="parta.messenger.profile_updated"
)
