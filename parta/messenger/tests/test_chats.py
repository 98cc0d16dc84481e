"""parta.messenger.actions.chats: who creates chats, who may be in them, direct chats, managed and archived
chats, the community chat «Сферум»."""

from __future__ import annotations

from typing import Any

import pytest

from parta.messenger.actions import (
    MessengerError,
    chat_archive,
    chat_create,
    chat_members_apply,
    chat_members_set,
    chat_update,
    community_chat_of,
    direct_chat_open,
    membership_set,
    message_send,
)
from parta.messenger.models import GROUP_KINDS, Chat, ChatKind, ChatMember, Message
from parta.messenger.tests import factories

pytestmark = pytest.mark.django_db


def members_of(chat: Chat) -> dict[int, bool]:
    return dict(ChatMember.objects.filter(chat=chat).values_list("profile_id", "is_admin"))


# --- creating chats -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(GROUP_KINDS))
@pytest.mark.parametrize("creator", ["teacher", "staff"])
def test_a_teacher_or_staff_member_creates_each_school_kind_and_is_its_admin(
    school: Any, kind: str, creator: str
) -> None:
    author = getattr(school, creator)
    chat = chat_create(
        organization=school.org,
        kind=kind,
        title="  Кружок   робототехники ",
        created_by=author,
        members=[school.student.pk, school.parent.pk],
    )
    assert chat.kind == kind
    assert chat.title == "Кружок робототехники"
    assert not chat.is_managed
    assert members_of(chat) == {author.pk: True, school.student.pk: False, school.parent.pk: False}


def test_the_five_school_kinds_have_the_manuals_labels() -> None:
    labels = {str(label) for value, label in ChatKind.choices if value in GROUP_KINDS}
    assert labels == {"Классный чат", "Родительский чат", "Учительская", "Предметный чат", "Другое"}


@pytest.mark.parametrize("creator", ["parent", "student"])
def test_parents_and_students_cannot_create_chats(school: Any, creator: str) -> None:
    with pytest.raises(MessengerError, match="могут учителя и сотрудники"):
        chat_create(
            organization=school.org, kind=ChatKind.OTHER, title="Наш чат", created_by=getattr(school, creator)
        )
    assert not Chat.objects.exists()


def test_a_teacher_of_another_school_cannot_create_a_chat_here(school: Any, outsider: Any) -> None:
    with pytest.raises(MessengerError, match="могут учителя и сотрудники"):
        chat_create(organization=school.org, kind=ChatKind.OTHER, title="Чужой чат", created_by=outsider)


@pytest.mark.parametrize("kind", [ChatKind.DIRECT, ChatKind.COMMUNITY, "nonsense"])
def test_only_the_school_kinds_can_be_created(school: Any, kind: str) -> None:
    with pytest.raises(MessengerError, match="Такой чат создать нельзя"):
        chat_create(organization=school.org, kind=kind, title="Чат", created_by=school.teacher)


@pytest.mark.parametrize(
    ("title", "message"), [("   ", "Введите название чата"), ("я" * 201, "не больше 200 символов")]
)
def test_a_chat_needs_a_sensible_title(school: Any, title: str, message: str) -> None:
    with pytest.raises(MessengerError, match=message):
        chat_create(organization=school.org, kind=ChatKind.OTHER, title=title, created_by=school.teacher)


def test_a_person_cannot_create_a_chat_the_journal_manages(school: Any) -> None:
    with pytest.raises(MessengerError, match="управляет только журнал"):
        chat_create(
            organization=school.org,
            kind=ChatKind.CLASS,
            title="5А",
            created_by=school.teacher,
            managed_ref="class-5a",
        )


def test_nobody_outside_the_school_can_be_added_to_its_chat(school: Any, outsider: Any) -> None:
    """A student (or anybody) of another school is never added, by a teacher or by the journal."""
    stranger_student = factories.member(factories.organization(), "student", last="Чужой", first="Ученик")
    with pytest.raises(MessengerError, match="только участников организации: 2 из указанных"):
        chat_create(
            organization=school.org,
            kind=ChatKind.OTHER,
            title="Кружок",
            created_by=school.teacher,
            members=[school.student.pk, stranger_student.pk, outsider.pk],
        )
    chat = factories.chat(school.org, members=[school.student])
    with pytest.raises(MessengerError, match="только участников организации"):
        chat_members_apply(chat=chat, add=[stranger_student.pk])
    assert members_of(chat) == {school.student.pk: False}
    assert Chat.objects.count() == 1


# --- managed chats (the journal's groups) -------------------------------------------------------------------


def test_the_journal_sets_members_and_admins_and_a_repeat_changes_nothing(school: Any) -> None:
    chat = factories.chat(school.org, members=[school.student], admins=[school.teacher])
    change = chat_members_set(
        chat=chat, members=[school.student.pk, school.other_student.pk], admins=[school.staff.pk]
    )
    assert change.added == tuple(sorted([school.other_student.pk, school.staff.pk]))
    assert change.removed == (school.teacher.pk,)
    assert members_of(chat) == {
        school.student.pk: False,
        school.other_student.pk: False,
        school.staff.pk: True,
    }
    again = chat_members_set(
        chat=chat, members=[school.student.pk, school.other_student.pk], admins=[school.staff.pk]
    )
    assert not again.changed


def test_member_deltas_add_remove_promote_and_demote(school: Any) -> None:
    chat = factories.chat(school.org, members=[school.student, school.other_student], admins=[school.teacher])
    change = chat_members_apply(
        chat=chat,
        add=[school.parent.pk],
        remove=[school.other_student.pk],
        admins_add=[school.staff.pk],
        admins_remove=[school.teacher.pk],
    )
    assert change.added == tuple(sorted([school.parent.pk, school.staff.pk]))
    assert change.removed == (school.other_student.pk,)
    assert change.demoted == (school.teacher.pk,)
    assert members_of(chat) == {
        school.student.pk: False,
        school.parent.pk: False,
        school.staff.pk: True,
        school.teacher.pk: False,
    }
    assert not chat_members_apply(chat=chat, add=[school.parent.pk], remove=[school.other_student.pk]).changed


def test_the_journal_names_each_group_once(school: Any) -> None:
    factories.chat(school.org, managed_ref="class-5a")
    with pytest.raises(MessengerError, match="уже есть"):
        factories.chat(school.org, managed_ref="class-5a")


def test_a_renamed_class_chat_keeps_its_members_and_history(school: Any) -> None:
    chat = factories.chat(school.org, title="5А — классный чат", members=[school.student])
    message_send(chat=chat, author=school.student, text="Привет")
    chat_update(chat=chat, title="6А — классный чат")
    chat.refresh_from_db()
    assert chat.title == "6А — классный чат"
    assert members_of(chat) == {school.student.pk: False}
    assert Message.objects.filter(chat=chat).count() == 1


def test_leaving_the_school_removes_one_from_its_chats(school: Any) -> None:
    chat = factories.chat(school.org, members=[school.student, school.teacher])
    membership_set(organization=school.org, profile=school.student, roles=[])
    assert members_of(chat) == {school.teacher.pk: False}


# --- archived chats -----------------------------------------------------------------------------------------


def test_an_archived_chat_is_read_only_and_keeps_its_history(school: Any) -> None:
    chat = factories.chat(school.org, members=[school.student, school.teacher])
    message_send(chat=chat, author=school.teacher, text="Итоги года")
    chat_archive(chat=chat)
    chat.refresh_from_db()
    assert chat.is_archived
    assert chat.archived_at is not None
    with pytest.raises(MessengerError, match="Чат в архиве"):
        message_send(chat=chat, author=school.student, text="Ещё одно")
    assert list(Message.objects.filter(chat=chat).values_list("text", flat=True)) == ["Итоги года"]
    chat_archive(chat=chat, archived=False)
    message_send(chat=chat, author=school.student, text="Ещё одно")


def test_only_the_admin_archives_an_unmanaged_chat_and_nobody_a_managed_one(school: Any) -> None:
    own = chat_create(
        organization=school.org,
        kind=ChatKind.OTHER,
        title="Кружок",
        created_by=school.teacher,
        members=[school.student.pk],
    )
    with pytest.raises(MessengerError, match="только его администратор"):
        chat_archive(chat=own, by=school.student)
    assert chat_archive(chat=own, by=school.teacher).is_archived
    managed = factories.chat(school.org, members=[school.teacher], admins=[school.teacher])
    with pytest.raises(MessengerError, match="электронный журнал"):
        chat_archive(chat=managed, by=school.teacher)


# --- direct chats -------------------------------------------------------------------------------------------


def test_members_of_one_school_open_one_direct_chat_per_pair(school: Any) -> None:
    chat = direct_chat_open(by=school.teacher, other=school.parent)
    assert chat.kind == ChatKind.DIRECT
    assert set(members_of(chat)) == {school.teacher.pk, school.parent.pk}
    assert direct_chat_open(by=school.parent, other=school.teacher) == chat
    assert Chat.objects.filter(kind=ChatKind.DIRECT).count() == 1


def test_nobody_writes_to_a_student_of_another_school(school: Any, outsider: Any) -> None:
    with pytest.raises(MessengerError, match="только участникам вашей организации"):
        direct_chat_open(by=outsider, other=school.student)
    with pytest.raises(MessengerError, match="самому себе"):
        direct_chat_open(by=school.student, other=school.student)
    assert not Chat.objects.exists()


def test_students_may_start_direct_chats_by_default(school: Any) -> None:
    assert direct_chat_open(by=school.student, other=school.other_student).kind == ChatKind.DIRECT


def test_with_the_setting_off_students_cannot_start_but_still_answer(school: Any, settings: Any) -> None:
    settings.PARTA_MESSENGER_STUDENTS_START_DIRECT = False
    with pytest.raises(MessengerError, match="Ученики не могут первыми начинать личную переписку"):
        direct_chat_open(by=school.student, other=school.teacher)
    assert not Chat.objects.exists()
    chat = direct_chat_open(by=school.teacher, other=school.student)
    assert direct_chat_open(by=school.student, other=school.teacher) == chat
    assert message_send(chat=chat, author=school.student, text="Здравствуйте!").chat == chat


def test_a_student_who_is_also_a_parent_may_start_with_the_setting_off(school: Any, settings: Any) -> None:
    settings.PARTA_MESSENGER_STUDENTS_START_DIRECT = False
    membership_set(organization=school.org, profile=school.student, roles=["student", "parent"])
    assert direct_chat_open(by=school.student, other=school.teacher).kind == ChatKind.DIRECT


def test_after_leaving_the_school_a_direct_chat_takes_no_new_messages(school: Any) -> None:
    chat = direct_chat_open(by=school.teacher, other=school.parent)
    message_send(chat=chat, author=school.parent, text="Спасибо!")
    membership_set(organization=school.org, profile=school.parent, roles=[])
    with pytest.raises(MessengerError, match="Вы не участник"):
        message_send(chat=chat, author=school.parent, text="Ещё вопрос")
    with pytest.raises(MessengerError, match="только участникам вашей организации"):
        message_send(chat=chat, author=school.teacher, text="Ответ")
    with pytest.raises(MessengerError, match="только участникам вашей организации"):
        direct_chat_open(by=school.teacher, other=school.parent)


def test_coming_back_reopens_the_same_direct_chat_with_its_history(school: Any) -> None:
    chat = direct_chat_open(by=school.teacher, other=school.parent)
    message_send(chat=chat, author=school.parent, text="Спасибо!")
    membership_set(organization=school.org, profile=school.parent, roles=[])
    membership_set(organization=school.org, profile=school.parent, roles=["parent"])
    assert direct_chat_open(by=school.teacher, other=school.parent) == chat
    assert set(members_of(chat)) == {school.teacher.pk, school.parent.pk}
    assert Message.objects.filter(chat=chat).count() == 1


# --- the community chat «Сферум» ----------------------------------------------------------------------------


def test_each_profile_has_one_community_chat_only_the_platform_writes_in(school: Any) -> None:
    chat = community_chat_of(profile=school.parent)
    assert community_chat_of(profile=school.parent) == chat
    assert chat.kind == ChatKind.COMMUNITY
    assert str(chat) == "Сферум"
    assert set(members_of(chat)) == {school.parent.pk}
    with pytest.raises(MessengerError, match="пишет только «Сферум»"):
        message_send(chat=chat, author=school.parent, text="Привет")
    notice = message_send(chat=chat, author=None, text="Вы были переведены на новый учебный год!")
    assert notice.is_from_bot


def test_the_community_chat_takes_no_members(school: Any) -> None:
    chat = community_chat_of(profile=school.parent)
    with pytest.raises(MessengerError, match="не меняется"):
        chat_members_apply(chat=chat, add=[school.teacher.pk])
