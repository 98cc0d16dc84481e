"""parta.messenger.actions.messages: sending (text, attachments, sending twice), and read markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parta.messenger import queries
from parta.messenger.actions import MessengerError, message_read, message_send
from parta.messenger.models import Attachment, Chat, ChatMember, Message
from parta.messenger.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(school: Any) -> Chat:
    return factories.chat(
        school.org, members=[school.student, school.other_student, school.parent], admins=[school.teacher]
    )


def stored_files(settings: Any) -> list[Path]:
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


# --- text ---------------------------------------------------------------------------------------------------


def test_a_member_sends_and_the_text_is_kept_as_typed_but_tidied(school: Any, chat: Chat) -> None:
    message = message_send(
        chat=chat, author=school.teacher, text="\r\n  Завтра <b>контрольная</b>  \r\nпо математике \u202e\n\n"
    )
    assert message.text == "  Завтра <b>контрольная</b>\nпо математике"
    chat.refresh_from_db()
    assert chat.last_message_id == message.pk


def test_an_empty_message_is_refused(school: Any, chat: Chat) -> None:
    with pytest.raises(MessengerError, match="Напишите сообщение или прикрепите файл"):
        message_send(chat=chat, author=school.teacher, text=" \n\t ")


def test_a_too_long_message_is_refused_saying_the_limit(school: Any, chat: Chat, settings: Any) -> None:
    settings.PARTA_MESSENGER_MESSAGE_MAX_LENGTH = 10
    with pytest.raises(MessengerError, match=r"не больше 10 символов \(сейчас 11\)"):
        message_send(chat=chat, author=school.teacher, text="Ы" * 11)
    assert message_send(chat=chat, author=school.teacher, text="Ы" * 10).text == "Ы" * 10


def test_only_members_write_in_a_chat(school: Any, chat: Chat, outsider: Any) -> None:
    with pytest.raises(MessengerError, match="Вы не участник этого чата"):
        message_send(chat=chat, author=school.staff, text="Можно?")
    with pytest.raises(MessengerError, match="Вы не участник этого чата"):
        message_send(chat=chat, author=outsider, text="Можно?")
    assert not Message.objects.exists()


def test_sending_the_same_message_twice_makes_one(school: Any, chat: Chat) -> None:
    first = message_send(chat=chat, author=school.parent, text="Добрый день", client_key="k-1")
    again = message_send(chat=chat, author=school.parent, text="Добрый день", client_key="k-1")
    assert again.pk == first.pk
    other = message_send(chat=chat, author=school.parent, text="Добрый день", client_key="k-2")
    assert other.pk != first.pk
    assert Message.objects.count() == 2


# --- attachments --------------------------------------------------------------------------------------------


def test_an_image_is_stored_under_a_generated_name_and_marked_for_preview(
    school: Any, chat: Chat, settings: Any
) -> None:
    upload = SimpleUploadedFile("../../фото класса.PNG", factories.PNG, content_type="text/html")
    message = message_send(chat=chat, author=school.teacher, text="", attachment=upload)
    attachment = message.attachment
    assert attachment is not None
    assert attachment.name == "фото класса.PNG"
    assert attachment.is_image
    assert attachment.content_type == "image/png"  # from the allowed list, never the sender's claim
    assert attachment.size == len(factories.PNG)
    assert attachment.file.name.startswith(f"messenger/{chat.pk}/")
    assert "фото" not in attachment.file.name
    assert attachment.file.name.endswith(".png")
    [path] = stored_files(settings)
    assert path.read_bytes() == factories.PNG


def test_a_document_is_a_file_not_a_preview(school: Any, chat: Chat) -> None:
    upload = SimpleUploadedFile("Расписание.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    attachment = message_send(chat=chat, author=school.teacher, text="Вот", attachment=upload).attachment
    assert attachment is not None
    assert not attachment.is_image
    assert attachment.content_type == "application/pdf"


def test_a_file_over_the_limit_is_refused_saying_the_limit(school: Any, chat: Chat, settings: Any) -> None:
    settings.PARTA_MESSENGER_ATTACHMENT_MAX_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("big.pdf", b"x" * (1024 * 1024 + 1), content_type="application/pdf")
    with pytest.raises(
        MessengerError, match=r"«big\.pdf» слишком большой \(1 МБ\): можно прикрепить файл до 1 МБ"
    ):
        message_send(chat=chat, author=school.teacher, text="Тяжёлый", attachment=upload)
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("name", ["page.html", "script.svg", "run.exe", "no-extension"])
def test_files_of_other_types_are_refused_naming_the_allowed_ones(
    school: Any, chat: Chat, name: str, settings: Any
) -> None:
    upload = SimpleUploadedFile(name, b"<script>alert(1)</script>")
    with pytest.raises(MessengerError, match=r"Файлы такого типа отправить нельзя\. Можно: .*JPG.*PDF"):
        message_send(chat=chat, author=school.teacher, text="", attachment=upload)
    assert stored_files(settings) == []


def test_an_image_that_is_not_what_its_name_says_is_refused(school: Any, chat: Chat) -> None:
    upload = SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script>")
    with pytest.raises(MessengerError, match="не похож на изображение JPG"):
        message_send(chat=chat, author=school.teacher, text="", attachment=upload)


def test_an_empty_file_is_refused(school: Any, chat: Chat) -> None:
    with pytest.raises(MessengerError, match="пустой"):
        message_send(chat=chat, author=school.teacher, text="", attachment=SimpleUploadedFile("a.txt", b""))


def test_the_allowed_types_come_from_the_settings(school: Any, chat: Chat, settings: Any) -> None:
    settings.PARTA_MESSENGER_ATTACHMENT_TYPES = {".CSV": "text/csv"}
    upload = SimpleUploadedFile("оценки.csv", b"a;b\n1;2\n")
    assert message_send(chat=chat, author=school.teacher, text="", attachment=upload).attachment is not None
    with pytest.raises(MessengerError, match=r"Можно: CSV\."):
        message_send(
            chat=chat, author=school.teacher, text="", attachment=SimpleUploadedFile("a.pdf", b"%PDF")
        )


# --- read markers and unread counts -------------------------------------------------------------------------


def test_unread_counts_other_peoples_messages_after_the_read_marker(school: Any, chat: Chat) -> None:
    message_send(chat=chat, author=school.teacher, text="Раз")
    message_send(chat=chat, author=school.teacher, text="Два")
    assert queries.unread_counts(profile_id=school.student.pk) == {chat.pk: 2}
    own = message_send(chat=chat, author=school.student, text="Моё")
    # One's own message marks everything before it read.
    assert ChatMember.objects.get(chat=chat, profile_id=school.student.pk).last_read_id == own.pk
    assert queries.unread_counts(profile_id=school.student.pk) == {}
    assert queries.unread_counts(profile_id=school.parent.pk) == {chat.pk: 3}
    assert queries.unread_counts(profile_id=school.teacher.pk) == {chat.pk: 1}


def test_reading_moves_the_marker_forward_only_and_never_past_the_newest(school: Any, chat: Chat) -> None:
    first = message_send(chat=chat, author=school.teacher, text="Раз")
    second = message_send(chat=chat, author=school.teacher, text="Два")
    assert message_read(chat=chat, profile=school.parent, up_to=first.pk) == first.pk
    assert queries.unread_counts(profile_id=school.parent.pk) == {chat.pk: 1}
    assert message_read(chat=chat, profile=school.parent, up_to=second.pk + 1000) == second.pk
    assert message_read(chat=chat, profile=school.parent, up_to=first.pk) == second.pk
    assert queries.unread_counts(profile_id=school.parent.pk) == {}


def test_the_authors_see_their_messages_read(school: Any, chat: Chat) -> None:
    sent = message_send(chat=chat, author=school.teacher, text="Прочитайте, пожалуйста")
    assert queries.chat_read_up_to(chat=chat, profile=school.teacher) == 0
    message_read(chat=chat, profile=school.parent, up_to=sent.pk)
    assert queries.chat_read_up_to(chat=chat, profile=school.teacher) == sent.pk


def test_only_members_mark_a_chat_read(school: Any, chat: Chat, outsider: Any) -> None:
    with pytest.raises(MessengerError, match="Вы не участник"):
        message_read(chat=chat, profile=outsider, up_to=1)
