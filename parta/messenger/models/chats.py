"""Chats and who is in them.

Kinds: the school's chats the journal's groups own («Классный чат», «Родительский чат», «Учительская»,
«Предметный чат»), «Другое» (created by a teacher or staff member, or by a journal), the community chat
«Сферум» (one per profile, written by the platform's bot), and direct chats between two members of a
common organization.

A *managed* chat has a ``managed_ref``: the journal's group that owns it. Its members, admins, title and
archived state come only from the journal (API v1 → :mod:`parta.messenger.actions.chats`).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ChatKind(models.TextChoices):
    CLASS = "class", "Классный чат"
    PARENTS = "parents", "Родительский чат"
    STAFF_ROOM = "staff_room", "Учительская"
    SUBJECT = "subject", "Предметный чат"
    OTHER = "other", "Другое"
    COMMUNITY = "community", "Сферум"
    DIRECT = "direct", "Личные сообщения"


# The kinds that belong to an organization's groups (and so may be managed by its journal).
GROUP_KINDS = frozenset(
    {ChatKind.CLASS, ChatKind.PARENTS, ChatKind.STAFF_ROOM, ChatKind.SUBJECT, ChatKind.OTHER}
)


class Chat(models.Model):
    organization = models.ForeignKey(
        "messenger.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chats",
        verbose_name="организация",
        help_text="Пусто у чата сообщества «Сферум».",
    )
    kind = models.CharField("тип", max_length=12, choices=ChatKind.choices)
    title = models.CharField("название", max_length=200, blank=True)
    subject = models.CharField("предмет", max_length=200, blank=True)
    managed_ref = models.CharField(
        "группа журнала",
        max_length=200,
        null=True,
        blank=True,
        help_text="Группа журнала, которой принадлежит чат (group_ref); пусто — чат не управляется журналом.",
    )
    is_archived = models.BooleanField("в архиве", default=False)
    archived_at = models.DateTimeField("отправлен в архив", null=True, blank=True)
    created_by = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="создал",
    )
    # The profile whose community chat «Сферум» this is (only for that kind).
    owner = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="владелец чата сообщества",
    )
    # "<smaller profile id>:<larger profile id>" of a direct chat: one chat per pair.
    direct_key = models.CharField("пара (личный чат)", max_length=41, null=True, blank=True, editable=False)
    # The newest message's id, kept by message_send: orders the chat list without scanning messages.
    last_message_id = models.BigIntegerField("последнее сообщение", null=True, blank=True, editable=False)
    created_at = models.DateTimeField("создан", default=timezone.now)

    class Meta:
        verbose_name = "чат"
        verbose_name_plural = "чаты"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "managed_ref"],
                condition=models.Q(managed_ref__isnull=False),
                name="messenger_chat_one_per_group",
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(kind="community"),
                name="messenger_one_community_chat",
            ),
            models.UniqueConstraint(
                fields=["direct_key"],
                condition=models.Q(direct_key__isnull=False),
                name="messenger_one_direct_chat_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} № {self.pk}"

    @property
    def is_managed(self) -> bool:
        return self.managed_ref is not None

    @property
    def is_direct(self) -> bool:
        return self.kind == ChatKind.DIRECT

    @property
    def is_community(self) -> bool:
        return self.kind == ChatKind.COMMUNITY


class ChatMember(models.Model):
    # The row is keyed by (chat, profile): no id column, so a large ``groups:sync`` maintains two indexes
    # per row, the primary key and (profile, chat), not three (bench/RESULTS.md). Neither foreign key has
    # its own index (those two serve both) nor a database constraint: PostgreSQL checks a foreign key row
    # by row, which made half the time of a large ``groups:sync``. Deletions cascade through Django's
    # collector (``on_delete`` is emulated by Django anyway), and every action that adds members locks the
    # memberships of the profiles it inserts for (``FOR KEY SHARE``, one statement) so that a profile
    # leaving the organization meanwhile cannot stay behind — see parta/messenger/actions/locks.py and
    # bench/RESULTS.md.
    pk = models.CompositePrimaryKey("chat", "profile")
    chat = models.ForeignKey(
        Chat,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name="чат",
        db_index=False,
        db_constraint=False,
    )
    profile = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.CASCADE,
        related_name="chat_memberships",
        verbose_name="учебный профиль",
        db_index=False,
        db_constraint=False,
    )
    is_admin = models.BooleanField("администратор", default=False)
    joined_at = models.DateTimeField("в чате с", default=timezone.now)
    # The id of the newest message this member has read (0: none). Only ever moves forward.
    last_read_id = models.BigIntegerField("прочитано до сообщения", default=0)

    class Meta:
        verbose_name = "участник чата"
        verbose_name_plural = "участники чатов"
        ordering = ["chat_id", "joined_at", "profile_id"]  # in the order they joined (ids: no join)
        indexes = [models.Index(fields=["profile", "chat"], name="messenger_member_profile")]

    def __str__(self) -> str:
        return f"{self.profile_id} в чате {self.chat_id}"
