"""Messages and their attachments.

A message's ``author`` is a profile, or nobody: the platform's bot (it writes the community chat
«Сферум»). Messages are paged by ``(chat, id)``: ids grow with time, so "older than" is "id less than".
Attachments are files in Django's default storage under a generated name; they are served only through
the messenger's view, which checks that the reader is in the chat.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


def attachment_path(instance: Attachment, filename: str) -> str:
    """``messenger/<chat id>/<random>.<ext>``: the person's file name is kept in the row, never in a path."""
    return f"messenger/{instance.chat_id}/{filename}"


class Attachment(models.Model):
    chat = models.ForeignKey(
        "messenger.Chat", on_delete=models.CASCADE, related_name="attachments", verbose_name="чат"
    )
    file = models.FileField("файл", upload_to=attachment_path, max_length=300)
    name = models.CharField("имя файла", max_length=255)
    content_type = models.CharField("тип", max_length=100)
    size = models.PositiveBigIntegerField("размер, байт")
    is_image = models.BooleanField("изображение", default=False)
    uploaded_by = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="загрузил",
    )
    created_at = models.DateTimeField("загружен", default=timezone.now)

    class Meta:
        verbose_name = "вложение"
        verbose_name_plural = "вложения"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    chat = models.ForeignKey(
        "messenger.Chat", on_delete=models.CASCADE, related_name="messages", verbose_name="чат"
    )
    author = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="автор",
        help_text="Пусто — сообщение платформы (бот сообщества).",
    )
    text = models.TextField("текст", blank=True)
    attachment = models.OneToOneField(
        Attachment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="message",
        verbose_name="вложение",
    )
    created_at = models.DateTimeField("отправлено", default=timezone.now)
    is_edited = models.BooleanField("изменено", default=False)
    # When what the message shows last changed — its author edited it, or, for the bot's request, the
    # request was answered or expired: a reconnecting page asks for the messages changed since it last
    # heard from the server (consumers.py). ``is_edited`` is only for an author's edit.
    edited_at = models.DateTimeField("когда изменено", null=True, blank=True)
    is_deleted = models.BooleanField("удалено", default=False)
    # What the sender's page generated for this message: sending it again returns the same message.
    client_key = models.CharField("ключ отправки", max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "сообщение"
        verbose_name_plural = "сообщения"
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["chat", "id"], name="messenger_message_chat_id"),
            models.Index(
                fields=["chat", "edited_at"],
                name="messenger_message_changed",
                condition=models.Q(edited_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "author", "client_key"],
                condition=~models.Q(client_key=""),
                name="messenger_message_sent_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.chat_id}/{self.pk}: {self.text[:40]}"

    @property
    def is_from_bot(self) -> bool:
        return self.author_id is None
