"""The messenger's pages over real HTTP requests (Django's test client): signing in, the chat list, a chat,
sending, files, older pages, read markers, people and new chats."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from parta.messenger.actions import chat_archive, message_send
from parta.messenger.models import Chat, ChatKind, ChatMember, Message
from parta.messenger.tests import factories

pytestmark = pytest.mark.django_db


def client_of(profile: Any) -> Client:
    client = Client()
    client.force_login(profile.account)
    return client


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def chat(school: Any) -> Chat:
    return factories.chat(
        school.org,
        title="5А — классный чат",
        members=[school.student, school.parent],
        admins=[school.teacher],
    )


# --- signing in ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/chats/1/", "/people/", "/chats/new/"])
def test_not_signed_in_goes_to_the_id_and_comes_back(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('identity:signin')}?next={quote(path)}"


def test_an_account_without_an_educational_profile_is_asked_to_create_one(db: None) -> None:
    client = Client()
    client.force_login(factories.account())
    response = client.get("/")
    assert response.status_code == 200
    assert "Нужен учебный профиль" in text(response)
    assert f'href="{reverse("identity:signin")}?next=/"' in text(response)
    assert "Создать учебный профиль" in text(response)


# --- the list and a chat ------------------------------------------------------------------------------------


def test_the_chat_list_shows_chats_with_unread_counts(school: Any, chat: Chat) -> None:
    message_send(chat=chat, author=school.teacher, text="Завтра экскурсия")
    message_send(chat=chat, author=school.teacher, text="Не забудьте форму")
    page = text(client_of(school.parent).get("/"))
    assert "5А — классный чат" in page
    assert 'aria-label="Непрочитанных: 2"' in page
    assert "Не забудьте форму" in page
    assert "Сферум" in page  # the community chat is always there
    assert "Новый чат" not in page  # a parent does not create chats
    assert "Новый чат" in text(client_of(school.teacher).get("/"))


def test_a_message_with_markup_is_shown_as_text(school: Any, chat: Chat) -> None:
    message_send(
        chat=chat, author=school.parent, text='<script>alert("x")</script> <img src=x onerror=alert(1)>'
    )
    for viewer in (school.parent, school.teacher):
        page = text(client_of(viewer).get(f"/chats/{chat.pk}/"))
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_a_chat_shows_its_history_members_with_admins_and_marks_it_read(school: Any, chat: Chat) -> None:
    sent = message_send(chat=chat, author=school.teacher, text="Родительское собрание в 18:00")
    page = text(client_of(school.parent).get(f"/chats/{chat.pk}/"))
    assert "Родительское собрание в 18:00" in page
    assert 'Участники <span class="count">3</span>' in page
    assert page.index("Смирнова Анна Петровна") < page.index("администратор") < page.index("Кузнецов Артём")
    assert ChatMember.objects.get(chat=chat, profile_id=school.parent.pk).last_read_id == sent.pk
    # The teacher now sees the message read.
    teacher_page = text(client_of(school.teacher).get(f"/chats/{chat.pk}/"))
    assert 'class="msg mine read"' in teacher_page


def test_a_chat_of_others_is_not_found(school: Any, chat: Chat, outsider: Any) -> None:
    assert client_of(school.staff).get(f"/chats/{chat.pk}/").status_code == 404
    assert client_of(outsider).get(f"/chats/{chat.pk}/").status_code == 404
    assert client_of(outsider).post(f"/chats/{chat.pk}/send/", {"text": "Привет"}).status_code == 404
    assert not Message.objects.exists()


def test_older_messages_come_in_pages(school: Any, chat: Chat, settings: Any) -> None:
    settings.PARTA_MESSENGER_PAGE_SIZE = 3
    sent = [message_send(chat=chat, author=school.teacher, text=f"Сообщение № {n}") for n in range(7)]
    client = client_of(school.parent)
    page = text(client.get(f"/chats/{chat.pk}/"))
    assert "Сообщение № 6" in page
    assert "Сообщение № 3" not in page
    assert f'href="?before={sent[4].pk}"' in page
    assert "Показать ранее" in page
    # The page's script asks for the fragment only.
    fragment = text(client.get(f"/chats/{chat.pk}/?before={sent[4].pk}", headers={"X-Parta-Partial": "1"}))
    assert "<html" not in fragment
    assert all(f"Сообщение № {n}" in fragment for n in (1, 2, 3))
    assert "Сообщение № 4" not in fragment
    # Without the script, the same link opens a whole page of older messages.
    older = text(client.get(f"/chats/{chat.pk}/?before={sent[1].pk}"))
    assert "Сообщение № 0" in older
    assert "Показать ранее" not in older
    assert "К новым сообщениям" in older


def test_an_archived_chat_shows_its_history_without_a_composer(school: Any, chat: Chat) -> None:
    message_send(chat=chat, author=school.teacher, text="Хорошего лета!")
    chat_archive(chat=chat)
    page = text(client_of(school.parent).get(f"/chats/{chat.pk}/"))
    assert "Хорошего лета!" in page
    assert "Чат в архиве: история сохранена, новые сообщения писать нельзя." in page
    assert "data-composer" not in page
    response = client_of(school.parent).post(
        f"/chats/{chat.pk}/send/", {"text": "Ещё"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Чат в архиве: новые сообщения в него писать нельзя."}


# --- sending ------------------------------------------------------------------------------------------------


def test_the_form_sends_and_returns_to_the_chat(school: Any, chat: Chat) -> None:
    response = client_of(school.parent).post(f"/chats/{chat.pk}/send/", {"text": "Здравствуйте!"})
    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/chats/{chat.pk}/#m{message.pk}"
    assert (message.author_id, message.text) == (school.parent.pk, "Здравствуйте!")


def test_the_script_sends_and_gets_the_message_back(school: Any, chat: Chat) -> None:
    client = client_of(school.parent)
    response = client.post(
        f"/chats/{chat.pk}/send/",
        {"text": "<b>Жирный?</b>", "client_key": "abc-1"},
        headers={"Accept": "application/json"},
    )
    payload = response.json()["message"]
    assert payload["text"] == "<b>Жирный?</b>"
    assert "&lt;b&gt;Жирный?&lt;/b&gt;" in payload["html"]
    again = client.post(
        f"/chats/{chat.pk}/send/",
        {"text": "<b>Жирный?</b>", "client_key": "abc-1"},
        headers={"Accept": "application/json"},
    )
    assert again.json()["message"]["id"] == payload["id"]
    assert Message.objects.count() == 1


def test_a_refused_message_is_explained_and_the_draft_kept(school: Any, chat: Chat, settings: Any) -> None:
    settings.PARTA_MESSENGER_MESSAGE_MAX_LENGTH = 5
    response = client_of(school.parent).post(f"/chats/{chat.pk}/send/", {"text": "Длинный текст"})
    assert response.status_code == 400
    page = text(response)
    assert "Сообщение слишком длинное: не больше 5 символов (сейчас 13)." in page
    assert ">Длинный текст</textarea>" in page


# --- files --------------------------------------------------------------------------------------------------


def test_an_image_is_previewed_and_served_only_to_members(school: Any, chat: Chat, outsider: Any) -> None:
    client = client_of(school.parent)
    upload = SimpleUploadedFile("класс.png", factories.PNG, content_type="image/png")
    client.post(f"/chats/{chat.pk}/send/", {"text": "", "file": upload})
    attachment = Message.objects.get().attachment
    assert attachment is not None
    url = f"/chats/{chat.pk}/files/{attachment.pk}/"
    page = text(client_of(school.teacher).get(f"/chats/{chat.pk}/"))
    assert f'<img src="{url}" alt="класс.png"' in page
    response = client_of(school.teacher).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == factories.PNG
    for stranger in (school.staff, outsider):
        assert client_of(stranger).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in


def test_a_document_is_downloaded_not_shown(school: Any, chat: Chat) -> None:
    client = client_of(school.parent)
    upload = SimpleUploadedFile("справка.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    client.post(f"/chats/{chat.pk}/send/", {"text": "Справка", "file": upload})
    attachment = Message.objects.get().attachment
    assert attachment is not None
    page = text(client.get(f"/chats/{chat.pk}/"))
    assert "справка.pdf" in page
    assert "<img" not in page.split('class="message-list"')[1]
    response = client.get(f"/chats/{chat.pk}/files/{attachment.pk}/")
    assert response["Content-Disposition"].startswith("attachment")


def test_a_file_of_a_wrong_type_is_refused_in_russian(school: Any, chat: Chat) -> None:
    upload = SimpleUploadedFile("virus.exe", b"MZ...")
    response = client_of(school.parent).post(
        f"/chats/{chat.pk}/send/", {"text": "", "file": upload}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Файлы такого типа отправить нельзя. Можно:")


def test_a_file_whose_stored_copy_is_gone_is_not_found(school: Any, chat: Chat) -> None:
    upload = SimpleUploadedFile("a.png", factories.PNG)
    attachment = message_send(chat=chat, author=school.parent, text="", attachment=upload).attachment
    assert attachment is not None
    attachment.file.storage.delete(attachment.file.name)
    assert client_of(school.parent).get(f"/chats/{chat.pk}/files/{attachment.pk}/").status_code == 404


# --- read markers -------------------------------------------------------------------------------------------


def test_the_script_marks_read_up_to_a_message(school: Any, chat: Chat) -> None:
    first = message_send(chat=chat, author=school.teacher, text="Раз")
    message_send(chat=chat, author=school.teacher, text="Два")
    response = client_of(school.parent).post(f"/chats/{chat.pk}/read/", {"up_to": str(first.pk)})
    assert response.json() == {"last_read_id": first.pk}
    assert 'aria-label="Непрочитанных: 1"' in text(client_of(school.parent).get("/"))


# --- people and direct messages -----------------------------------------------------------------------------


def test_people_lists_only_the_schools_people_and_opens_a_direct_chat(school: Any, outsider: Any) -> None:
    client = client_of(school.parent)
    page = text(client.get("/people/?q=кузнецов"))
    assert "Кузнецов Артём Дмитриевич" in page
    assert "Смирнова" not in page
    assert "Орлова" not in text(client.get("/people/"))
    response = client.post(f"/people/{school.teacher.pk}/write/")
    chat = Chat.objects.get(kind=ChatKind.DIRECT)
    assert response["Location"] == f"/chats/{chat.pk}/"
    assert "Смирнова Анна" in text(client.get(f"/chats/{chat.pk}/"))


def test_a_student_of_another_school_cannot_be_found_or_written_to(school: Any, outsider: Any) -> None:
    client = client_of(outsider)
    page = text(client.get("/people/?q=Кузнецов"))
    assert "Кузнецов Артём" not in page
    assert "Никого не нашлось." in page
    assert client.post(f"/people/{school.student.pk}/write/").status_code == 404
    assert not Chat.objects.filter(kind=ChatKind.DIRECT).exists()


def test_with_the_setting_off_a_student_is_told_why(school: Any, settings: Any) -> None:
    settings.PARTA_MESSENGER_STUDENTS_START_DIRECT = False
    client = client_of(school.student)
    response = client.post(f"/people/{school.teacher.pk}/write/", follow=True)
    assert "Ученики не могут первыми начинать личную переписку" in text(response)
    assert not Chat.objects.filter(kind=ChatKind.DIRECT).exists()


# --- new chats ----------------------------------------------------------------------------------------------


def test_a_teacher_creates_a_subject_chat_with_people_of_the_school(school: Any) -> None:
    client = client_of(school.teacher)
    page = text(client.get("/chats/new/"))
    for label in ("Классный чат", "Родительский чат", "Учительская", "Предметный чат", "Другое"):
        assert f">{label}</option>" in page
    response = client.post(
        f"/chats/new/?organization={school.org.pk}",
        {
            "title": "Физика, 9Б",
            "kind": ChatKind.SUBJECT,
            "organization": str(school.org.pk),
            "members": [str(school.student.pk), str(school.other_student.pk)],
        },
    )
    chat = Chat.objects.get(title="Физика, 9Б")
    assert response["Location"] == f"/chats/{chat.pk}/"
    assert chat.kind == ChatKind.SUBJECT
    assert set(ChatMember.objects.filter(chat=chat).values_list("profile_id", "is_admin")) == {
        (school.teacher.pk, True),
        (school.student.pk, False),
        (school.other_student.pk, False),
    }


def test_a_new_chat_without_a_title_is_explained_and_the_choice_kept(school: Any) -> None:
    response = client_of(school.teacher).post(
        "/chats/new/", {"title": " ", "kind": ChatKind.PARENTS, "members": [str(school.parent.pk)]}
    )
    assert response.status_code == 400
    page = text(response)
    assert "Введите название чата." in page
    assert '<option value="parents" selected>' in page
    assert f'value="{school.parent.pk}" checked' in page


def test_parents_and_students_are_sent_back_from_new_chat(school: Any) -> None:
    response = client_of(school.student).get("/chats/new/", follow=True)
    assert "Создавать чаты могут учителя и сотрудники школы." in text(response)
    response = client_of(school.student).post("/chats/new/", {"title": "Мой", "kind": "other"})
    assert response.status_code == 302
    assert not Chat.objects.exclude(kind=ChatKind.COMMUNITY).exists()


def test_bad_input_never_breaks_a_page(school: Any, chat: Chat) -> None:
    client = client_of(school.teacher)
    assert client.get(f"/chats/{chat.pk}/?before=abc").status_code == 200
    assert client.post(f"/chats/{chat.pk}/read/", {"up_to": "x"}).json() == {"last_read_id": 0}
    assert client.post("/chats/new/", {"title": "Чат", "kind": "direct"}).status_code == 400
    assert client.post("/chats/new/", {"title": "Чат", "members": ["x", "999999"]}).status_code == 400
    assert (
        json.loads(
            client.post(
                f"/chats/{chat.pk}/send/", {"text": ""}, headers={"Accept": "application/json"}
            ).content
        )["error"]
        == "Напишите сообщение или прикрепите файл."
    )
