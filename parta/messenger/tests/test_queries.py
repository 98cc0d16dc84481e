"""parta.messenger.queries: who sees whom and what, the chat list, paged history, catch-up."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from parta.messenger import queries
from parta.messenger.actions import community_chat_of, direct_chat_open, message_read, message_send
from parta.messenger.tests import factories

pytestmark = pytest.mark.django_db


def names(people: list[queries.Person]) -> list[str]:
    return [person.profile.last_name for person in people]


# --- people -------------------------------------------------------------------------------------------------


def test_a_profile_sees_only_the_people_of_its_own_schools(school: Any, outsider: Any) -> None:
    assert names(queries.visible_people(viewer=school.student)) == [
        "Волкова",
        "Кузнецова",
        "Лукьянова",
        "Смирнова",
    ]
    assert names(queries.visible_people(viewer=outsider)) == []


def test_nobody_else_finds_a_student_even_by_exact_name(school: Any, outsider: Any) -> None:
    assert queries.visible_people(viewer=outsider, query="Кузнецов Артём") == []
    with pytest.raises(Http404):
        queries.access_person(viewer=outsider, profile_id=school.student.pk)
    assert queries.access_person(viewer=school.teacher, profile_id=school.student.pk) == school.student


def test_a_person_in_two_schools_is_seen_with_the_roles_of_the_shared_one_only(school: Any) -> None:
    lyceum = factories.organization("Лицей № 2")
    factories.member(lyceum, "teacher", existing=school.parent)
    lyceum_student = factories.member(lyceum, "student", last="Петров", first="Пётр")
    [person] = queries.visible_people(viewer=school.teacher, query="Кузнецова")
    assert person.roles == ["родитель"]
    assert person.organizations == ["ГБОУ Школа № 1"]
    # The lyceum's student sees the parent as a teacher there, and nobody of the first school.
    assert [(p.profile.last_name, p.roles) for p in queries.visible_people(viewer=lyceum_student)] == [
        ("Кузнецова", ["учитель"])
    ]


@pytest.mark.parametrize("query", ["кузнецов", "КУЗНЕЦОВ", "артём кузнецов", "Дмитриевич"])
def test_names_are_found_whatever_the_case_of_cyrillic_letters(school: Any, query: str) -> None:
    assert "Кузнецов" in names(queries.visible_people(viewer=school.teacher, query=query))


def test_one_cannot_find_oneself(school: Any) -> None:
    assert "Смирнова" not in names(queries.visible_people(viewer=school.teacher))
    with pytest.raises(Http404):
        queries.access_person(viewer=school.teacher, profile_id=school.teacher.pk)


# --- chats --------------------------------------------------------------------------------------------------


def test_only_members_reach_a_chat_and_a_missing_one_looks_the_same(school: Any, outsider: Any) -> None:
    chat = factories.chat(school.org, members=[school.student])
    assert queries.access_chat(profile=school.student, chat_id=chat.pk) == chat
    for viewer, chat_id in ((school.teacher, chat.pk), (outsider, chat.pk), (school.student, chat.pk + 999)):
        with pytest.raises(Http404):
            queries.access_chat(profile=viewer, chat_id=chat_id)


def test_the_chat_list_puts_recent_activity_first_with_unread_and_the_last_message(school: Any) -> None:
    quiet = factories.chat(school.org, title="5А — родительский чат", members=[school.parent, school.teacher])
    busy = factories.chat(school.org, title="Учительская", members=[school.parent, school.teacher])
    message_send(chat=quiet, author=school.teacher, text="Собрание в пятницу")
    message_send(chat=busy, author=school.teacher, text="Первое")
    message_send(chat=busy, author=school.teacher, text="Второе, очень длинное")
    direct = direct_chat_open(by=school.teacher, other=school.parent)
    community = community_chat_of(profile=school.parent)
    rows = queries.chat_list(profile=school.parent)
    assert [row.title for row in rows[:2]] == ["Учительская", "5А — родительский чат"]
    # Chats without messages come after, newest first.
    assert {row.chat for row in rows[2:]} == {direct, community}
    top = rows[0]
    assert (top.unread, top.last_text, top.last_author) == (2, "Второе, очень длинное", "Анна Смирнова")
    assert {row.chat: row.title for row in rows}[direct] == "Смирнова Анна"
    assert {row.chat: row.title for row in rows}[community] == "Сферум"
    teachers_top = queries.chat_list(profile=school.teacher)[0]
    assert (teachers_top.title, teachers_top.last_author, teachers_top.unread) == ("Учительская", "Вы", 0)


def test_the_chat_list_takes_a_fixed_number_of_queries(
    school: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        chat = factories.chat(school.org, title=f"Чат {n}", members=[school.parent, school.teacher])
        message_send(chat=chat, author=school.teacher, text=f"Сообщение {n}")
    with django_assert_max_num_queries(2):
        rows = queries.chat_list(profile=school.parent)
    assert len(rows) == 15
    assert all(row.unread == 1 for row in rows)


def test_a_bot_message_is_signed_by_the_platform(school: Any) -> None:
    community = community_chat_of(profile=school.parent)
    message_send(chat=community, author=None, text="Добро пожаловать")
    [row] = [row for row in queries.chat_list(profile=school.parent) if row.chat == community]
    assert (row.last_author, row.unread) == ("Сферум", 1)


# --- history and catch-up -----------------------------------------------------------------------------------


def test_history_comes_in_pages_of_the_newest_first(school: Any, settings: Any) -> None:
    settings.PARTA_MESSENGER_PAGE_SIZE = 4
    chat = factories.chat(school.org, members=[school.teacher])
    sent = [message_send(chat=chat, author=school.teacher, text=f"№ {n}").pk for n in range(10)]
    newest = queries.chat_history(chat=chat)
    assert [m.pk for m in newest.messages] == sent[6:]
    assert newest.has_older
    middle = queries.chat_history(chat=chat, before=newest.oldest_id)
    assert [m.pk for m in middle.messages] == sent[2:6]
    oldest = queries.chat_history(chat=chat, before=middle.oldest_id)
    assert [m.pk for m in oldest.messages] == sent[:2]
    assert not oldest.has_older


def test_catch_up_returns_what_came_after_in_order(school: Any) -> None:
    chat = factories.chat(school.org, members=[school.teacher])
    sent = [message_send(chat=chat, author=school.teacher, text=f"№ {n}").pk for n in range(5)]
    assert [m.pk for m in queries.messages_after(chat_id=chat.pk, after_id=sent[1], limit=10)] == sent[2:]
    assert [m.pk for m in queries.messages_after(chat_id=chat.pk, after_id=sent[1], limit=2)] == sent[2:4]
    assert queries.messages_after(chat_id=chat.pk, after_id=sent[-1], limit=10) == []


def test_members_are_listed_admins_first(school: Any) -> None:
    chat = factories.chat(school.org, members=[school.student, school.parent], admins=[school.teacher])
    assert [(m.profile.last_name, m.is_admin) for m in queries.chat_members(chat=chat)] == [
        ("Смирнова", True),
        ("Кузнецов", False),
        ("Кузнецова", False),
    ]


# --- files --------------------------------------------------------------------------------------------------


def test_a_file_is_reached_only_by_members_of_its_chat(school: Any, outsider: Any) -> None:
    chat = factories.chat(school.org, members=[school.student, school.teacher])
    upload = SimpleUploadedFile("photo.png", factories.PNG)
    attachment = message_send(chat=chat, author=school.teacher, text="", attachment=upload).attachment
    assert attachment is not None
    assert queries.access_attachment(profile=school.student, chat_id=chat.pk, attachment_id=attachment.pk)
    other_chat = factories.chat(school.org, members=[school.parent])
    for viewer, chat_id in ((school.parent, chat.pk), (outsider, chat.pk), (school.parent, other_chat.pk)):
        with pytest.raises(Http404):
            queries.access_attachment(profile=viewer, chat_id=chat_id, attachment_id=attachment.pk)


def test_reading_is_reflected_in_the_list(school: Any) -> None:
    chat = factories.chat(school.org, members=[school.parent, school.teacher])
    sent = message_send(chat=chat, author=school.teacher, text="Раз")
    message_read(chat=chat, profile=school.parent, up_to=sent.pk)
    assert queries.chat_list(profile=school.parent)[0].unread == 0
