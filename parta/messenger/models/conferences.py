"""Video conferences: an online lesson or a meeting of an organization, run on the video engine.

A :class:`Conference` belongs to an organization and is named by its journal's reference (``ref``: the
``conf_ref`` of API v1). Its participants are the members of ``chat`` (a class's chat: whoever is in the
class when the lesson starts) and the profiles listed in :class:`ConferenceParticipant`; the
``organizer`` (a teacher) takes part too and joins as moderator. The join link is minted only from the
start minus the grace until the end (:mod:`parta.messenger.video.window`).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class ConferenceKind(models.TextChoices):
    LESSON = "lesson", "Онлайн-урок"
    MEETING = "meeting", "Встреча"
    OTHER = "other", "Другое"


class Conference(models.Model):
    uuid = models.UUIDField("идентификатор", default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "messenger.Organization",
        on_delete=models.CASCADE,
        related_name="conferences",
        verbose_name="организация",
    )
    ref = models.CharField("идентификатор в журнале", max_length=200)
    title = models.CharField("название", max_length=200)
    kind = models.CharField(
        "тип", max_length=10, choices=ConferenceKind.choices, default=ConferenceKind.LESSON
    )
    starts_at = models.DateTimeField("начало")
    ends_at = models.DateTimeField("окончание")
    chat = models.ForeignKey(
        "messenger.Chat",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conferences",
        verbose_name="участники чата",
    )
    organizer = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="организатор",
    )
    created_at = models.DateTimeField("создана", default=timezone.now)
    updated_at = models.DateTimeField("изменена", default=timezone.now)

    class Meta:
        verbose_name = "видеоконференция"
        verbose_name_plural = "видеоконференции"
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "ref"], name="messenger_conference_one_per_ref"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="messenger_conference_ends_later"
            ),
        ]
        indexes = [models.Index(fields=["starts_at"], name="messenger_conference_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def room_id(self) -> str:
        """The engine's room: stable for the conference's life."""
        return f"parta-conf-{self.uuid}"


class ConferenceParticipant(models.Model):
    conference = models.ForeignKey(
        Conference, on_delete=models.CASCADE, related_name="participants", verbose_name="видеоконференция"
    )
    profile = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.CASCADE,
        related_name="conference_participations",
        verbose_name="учебный профиль",
    )

    class Meta:
        verbose_name = "участник видеоконференции"
        verbose_name_plural = "участники видеоконференций"
        ordering = ["conference", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "profile"], name="messenger_one_conf_participant")
        ]
        indexes = [models.Index(fields=["profile", "conference"], name="messenger_conf_part_profile")]

    def __str__(self) -> str:
        return f"{self.profile_id} в {self.conference_id}"
