"""Messages: sending (with an attachment), and read markers.

The text is stored as the person typed it (control characters aside): it is escaped where it is shown —
by the templates and by the page's script (``textContent``) — never here.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q

from parta.messenger import conf
from parta.messenger.actions.errors import MessengerError
from parta.messenger.events import publish_message, publish_read, publish_unread
from parta.messenger.models import Attachment, Chat, ChatKind, ChatMember, Membership, Message
from parta.messenger.types import Profile

CLIENT_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Control characters other than line breaks and tabs; and the bidirectional overrides that can make a
# message read differently from what it says.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

# The first bytes of the image types a page may show inline (an image is shown only when its content is
# what its name says).
_IMAGE_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def text_clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    # Trailing spaces of each line and blank lines around the message go.
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _size_label(size: int) -> str:
    megabytes = size / (1024 * 1024)
    if megabytes >= 1:
        return f"{round(megabytes, 1):g}".replace(".", ",") + " МБ"
    return f"{max(1, size // 1024)} КБ"


def _file_name(upload: UploadedFile) -> str:
    name = PurePath((upload.name or "").replace("\\", "/")).name
    name = _CONTROL.sub("", name).strip() or "файл"
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[:190]}.{extension[:9]}" if dot else name[:200]
    return name


def attachment_check(*, upload: UploadedFile) -> tuple[str, str, bool]:
    """Whether ``upload`` may be sent: (its extension, the content type to serve it with, is an image).
    Refusals say what is allowed, in Russian."""
    name = _file_name(upload)
    size = int(upload.size or 0)
    limit = conf.attachment_max_bytes()
    if size == 0:
        raise MessengerError(f"Файл «{name}» пустой.")
    if size > limit:
        raise MessengerError(
            f"Файл «{name}» слишком большой ({_size_label(size)}): "
            f"можно прикрепить файл до {_size_label(limit)}."
        )
    types = conf.attachment_types()
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in types:
        allowed = ", ".join(sorted({ext.upper() for ext in types}))
        raise MessengerError(f"Файлы такого типа отправить нельзя. Можно: {allowed}.")
    content_type = types[extension]
    is_image = content_type in _IMAGE_SIGNATURES
    if is_image:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not any(head.startswith(signature) for signature in _IMAGE_SIGNATURES[content_type]) or (
            content_type == "image/webp" and head[8:12] != b"WEBP"
        ):
            raise MessengerError(f"Файл «{name}» не похож на изображение {extension.upper()}.")
    return extension, content_type, is_image


def _shares_organization(*, chat: Chat, author: Profile) -> bool:
    """Whether the author of a direct chat still shares an organization with the other person in it."""
    others = ChatMember.objects.filter(chat=chat).exclude(profile_id=author.pk).values("profile_id")
    mine = Membership.objects.filter(profile_id=author.pk).values("organization_id")
    return Membership.objects.filter(profile_id__in=others, organization_id__in=mine).exists()


def message_send(
    *,
    chat: Chat,
    author: Profile | None,
    text: str,
    attachment: UploadedFile | None = None,
    client_key: str = "",
) -> Message:
    """Post a message to ``chat`` as ``author`` (``None``: the platform's bot).

    The author must be a member of the chat, the chat not in the archive, the text not longer than
    ``PARTA_MESSENGER_MESSAGE_MAX_LENGTH``. Members' open pages receive it after the commit. With a
    ``client_key`` (made by the sending page), sending the same message again returns the first one.
    """
    text = text_clean(text)
    if not text and attachment is None:
        raise MessengerError("Напишите сообщение или прикрепите файл.")
    limit = conf.message_max_length()
    if len(text) > limit:
        raise MessengerError(f"Сообщение слишком длинное: не больше {limit} символов (сейчас {len(text)}).")
    if client_key and not CLIENT_KEY.fullmatch(client_key):
        client_key = ""
    # The stored state, not the caller's copy: the journal may have archived the chat a moment ago.
    if Chat.objects.filter(pk=chat.pk, is_archived=True).exists():
        raise MessengerError("Чат в архиве: новые сообщения в него писать нельзя.")
    if author is not None:
        if chat.kind == ChatKind.COMMUNITY:
            raise MessengerError(f"В этот чат пишет только «{conf.platform_name()}».")
        if not ChatMember.objects.filter(chat=chat, profile_id=author.pk).exists():
            raise MessengerError("Вы не участник этого чата.")
        if chat.kind == ChatKind.DIRECT and not _shares_organization(chat=chat, author=author):
            raise MessengerError("Написать можно только участникам вашей организации.")
        if client_key:
            sent = Message.objects.filter(chat=chat, author_id=author.pk, client_key=client_key).first()
            if sent is not None:
                return sent
    checked = attachment_check(upload=attachment) if attachment is not None else None
    stored: Attachment | None = None
    try:
        with transaction.atomic():
            if attachment is not None and checked is not None:
                extension, content_type, is_image = checked
                stored = Attachment(
                    chat=chat,
                    name=_file_name(attachment),
                    content_type=content_type,
                    size=int(attachment.size or 0),
                    is_image=is_image,
                    uploaded_by_id=author.pk if author is not None else None,
                )
                stored.file.save(f"{uuid.uuid4().hex}.{extension}", attachment, save=False)
                stored.save()
            message = Message.objects.create(
                chat=chat,
                author_id=author.pk if author is not None else None,
                text=text,
                attachment=stored,
                client_key=client_key if author is not None else "",
            )
            Chat.objects.filter(pk=chat.pk).filter(
                Q(last_message_id__isnull=True) | Q(last_message_id__lt=message.pk)
            ).update(last_message_id=message.pk)
            transaction.on_commit(lambda: publish_message(message))
            if author is not None:
                _read_by_answering(chat=chat, author=author, message=message)
    except Exception as failure:
        # Nothing was saved: neither is the file kept.
        if stored is not None and stored.file.name:
            stored.file.storage.delete(stored.file.name)
        if not isinstance(failure, IntegrityError) or author is None or not client_key:
            raise
        # The same client_key sent twice at the same moment: the first one stands.
        return Message.objects.get(chat=chat, author_id=author.pk, client_key=client_key)
    return message


def _read_by_answering(*, chat: Chat, author: Profile, message: Message) -> None:
    """Writing in a chat reads it: the author's marker moves to the new message, and the authors of the
    messages it passes learn they are read (as :func:`message_read` tells them)."""
    before = (
        ChatMember.objects.filter(chat=chat, profile_id=author.pk)
        .values_list("last_read_id", flat=True)
        .first()
    )
    if before is None or before >= message.pk:
        return
    ChatMember.objects.filter(chat=chat, profile_id=author.pk, last_read_id__lt=message.pk).update(
        last_read_id=message.pk
    )
    authors = set(
        Message.objects.filter(chat=chat, pk__gt=before, pk__lt=message.pk, author__isnull=False)
        .exclude(author_id=author.pk)
        .values_list("author_id", flat=True)
    )
    chat_id, up_to, profile_id = chat.pk, message.pk, int(author.pk)
    if authors:
        transaction.on_commit(lambda: publish_read(chat_id=chat_id, up_to=up_to, author_ids=authors))
    transaction.on_commit(lambda: publish_unread(profile_id=profile_id, chat_id=chat_id, unread=0))


def message_read(*, chat: Chat, profile: Profile, up_to: int) -> int:
    """Mark the chat read by ``profile`` up to message ``up_to`` (never backwards, never past the newest
    message). Tells the authors of the newly read messages, and the reader's other pages. Returns the
    member's read marker."""
    mine = ChatMember.objects.filter(chat=chat, profile_id=profile.pk)
    member = mine.first()
    if member is None:
        raise MessengerError("Вы не участник этого чата.")
    newest = Chat.objects.filter(pk=chat.pk).values_list("last_message_id", flat=True).first() or 0
    up_to = min(int(up_to), int(newest))
    if up_to <= member.last_read_id:
        return member.last_read_id
    with transaction.atomic():
        updated = mine.filter(last_read_id__lt=up_to).update(last_read_id=up_to)
        if not updated:
            return int(mine.values_list("last_read_id", flat=True).get())
        read = Message.objects.filter(chat=chat, pk__gt=member.last_read_id, pk__lte=up_to)
        authors = set(
            read.filter(author__isnull=False)
            .exclude(author_id=profile.pk)
            .values_list("author_id", flat=True)
        )
        unread = (
            Message.objects.filter(chat=chat, pk__gt=up_to, is_deleted=False)
            .exclude(author_id=profile.pk)
            .count()
        )
        chat_id, profile_id = chat.pk, int(profile.pk)
        if authors:
            transaction.on_commit(lambda: publish_read(chat_id=chat_id, up_to=up_to, author_ids=authors))
        transaction.on_commit(lambda: publish_unread(profile_id=profile_id, chat_id=chat_id, unread=unread))
    return up_to
