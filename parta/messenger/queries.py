"""Reads of the messenger. ``access_*`` helpers answer the same 404 whether something is missing or the
person may not see it, so nobody learns that a chat, a file or a person exists by asking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from parta.messenger import conf
from parta.messenger.models import (
    ROLE_ORDER,
    Attachment,
    Chat,
    ChatKind,
    ChatMember,
    Membership,
    Message,
    Organization,
)
from parta.messenger.types import Profile

# --- The ID's profiles --------------------------------------------------------------------------------
# The messenger may import only parta.identity.public (import-linter). Until that module offers reads of
# educational profiles (asked for in issue 4's report: profile_of_account, profiles_by_id), the model is
# looked up by name here — in this one place — and only read.


def _profile_model() -> Any:
    return apps.get_model("identity", "EducationalProfile")


def profile_of(*, account_id: int | None) -> Profile | None:
    """The educational profile of the signed-in ID account, or ``None`` (not created yet)."""
    if account_id is None:
        return None
    profile: Profile | None = _profile_model().objects.filter(account_id=account_id).first()
    return profile


def profiles_by_phone(*, phones: list[str]) -> dict[str, Profile]:
    """Profiles of the ID accounts with these phone numbers (E.164), by phone — for the demo command."""
    rows = _profile_model().objects.filter(account__phone__in=phones).select_related("account")
    return {row.account.phone: row for row in rows}


# --- Chats --------------------------------------------------------------------------------------------


def access_chat(*, profile: Profile, chat_id: int) -> Chat:
    """The chat, if ``profile`` is a member of it; otherwise (or if there is none) 404."""
    chat = (
        Chat.objects.filter(pk=chat_id, members__profile_id=profile.pk).select_related("organization").first()
    )
    if chat is None:
        raise Http404
    return chat


def chat_member(*, chat: Chat, profile: Profile) -> ChatMember:
    """The member row of ``profile`` in a chat already reached through :func:`access_chat`."""
    member = ChatMember.objects.filter(chat=chat, profile_id=profile.pk).first()
    if member is None:
        raise Http404
    return member


def member_chat_ids(*, profile_id: int) -> set[int]:
    return set(ChatMember.objects.filter(profile_id=profile_id).values_list("chat_id", flat=True))


def _unread_subquery(*, profile_id: int, chat_ref: str, read_ref: str) -> Coalesce:
    counted = (
        Message.objects.filter(chat_id=OuterRef(chat_ref), pk__gt=OuterRef(read_ref), is_deleted=False)
        .exclude(author_id=profile_id)
        .order_by()
        .values("chat_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class ChatRow:
    """A line of «Чаты»."""

    chat: Chat
    title: str
    kind_label: str
    unread: int
    is_admin: bool
    last_id: int | None
    last_text: str
    last_author: str
    last_at: Any
    last_has_attachment: bool


def _title(chat: Chat, *, other_last: str | None, other_first: str | None) -> str:
    if chat.kind == ChatKind.DIRECT:
        return " ".join(part for part in (other_last, other_first) if part) or "Личные сообщения"
    if chat.kind == ChatKind.COMMUNITY:
        return conf.platform_name()
    return chat.title


def chat_list(*, profile: Profile) -> list[ChatRow]:
    """The profile's chats, newest activity first, each with its unread count and last message — in one
    query (correlated subqueries on the (chat, id) index), however many chats there are."""
    pid = int(profile.pk)
    last = Message.objects.filter(pk=OuterRef("chat__last_message_id"))
    # The other member of a direct chat (it has one): the first by profile, straight from the primary key.
    other = (
        ChatMember.objects.filter(chat_id=OuterRef("chat_id")).exclude(profile_id=pid).order_by("profile_id")
    )
    rows = (
        ChatMember.objects.filter(profile_id=pid)
        .select_related("chat", "chat__organization")
        .annotate(
            unread=_unread_subquery(profile_id=pid, chat_ref="chat_id", read_ref="last_read_id"),
            last_text=Subquery(last.values("text")[:1]),
            last_at=Subquery(last.values("created_at")[:1]),
            last_deleted=Subquery(last.values("is_deleted")[:1]),
            last_attachment=Subquery(last.values("attachment_id")[:1]),
            last_author_id=Subquery(last.values("author_id")[:1]),
            last_author_last=Subquery(last.values("author__last_name")[:1]),
            last_author_first=Subquery(last.values("author__first_name")[:1]),
            other_last=Subquery(other.values("profile__last_name")[:1]),
            other_first=Subquery(other.values("profile__first_name")[:1]),
        )
        .order_by(Coalesce("chat__last_message_id", 0).desc(), "-chat_id")
    )
    result = []
    for row in rows:
        values: dict[str, Any] = row.__dict__
        chat = row.chat
        if values["last_author_id"] is None and values["last_at"] is not None:
            author = conf.platform_name()
        elif values["last_author_id"] == pid:
            author = "Вы"
        else:
            author = " ".join(p for p in (values["last_author_first"], values["last_author_last"]) if p)
        result.append(
            ChatRow(
                chat=chat,
                title=_title(chat, other_last=values["other_last"], other_first=values["other_first"]),
                kind_label=chat.get_kind_display(),
                unread=int(values["unread"]),
                is_admin=row.is_admin,
                last_id=chat.last_message_id,
                last_text="Сообщение удалено" if values["last_deleted"] else (values["last_text"] or ""),
                last_author=author,
                last_at=values["last_at"],
                last_has_attachment=values["last_attachment"] is not None,
            )
        )
    return result


def chat_title(*, chat: Chat, viewer: Profile) -> str:
    """What ``viewer`` calls the chat: a direct chat is named after the other person."""
    if chat.kind != ChatKind.DIRECT:
        return _title(chat, other_last=None, other_first=None)
    other = (
        ChatMember.objects.filter(chat=chat)
        .exclude(profile_id=viewer.pk)
        .values_list("profile__last_name", "profile__first_name")
        .first()
    )
    return _title(chat, other_last=other[0] if other else None, other_first=other[1] if other else None)


def unread_counts(*, profile_id: int) -> dict[int, int]:
    """Unread messages per chat of the profile (chats with none are left out)."""
    rows = (
        ChatMember.objects.filter(profile_id=profile_id)
        .annotate(unread=_unread_subquery(profile_id=profile_id, chat_ref="chat_id", read_ref="last_read_id"))
        .values_list("chat_id", "unread")
    )
    return {chat_id: unread for chat_id, unread in rows if unread}


# --- Messages -----------------------------------------------------------------------------------------


def _messages(chat_id: int) -> QuerySet[Message]:
    return Message.objects.filter(chat_id=chat_id).select_related("author", "attachment")


@dataclass(frozen=True)
class HistoryPage:
    """Messages oldest first; ``has_older``: there are more before ``messages[0]``."""

    messages: list[Message] = field(default_factory=list)
    has_older: bool = False

    @property
    def oldest_id(self) -> int | None:
        return self.messages[0].pk if self.messages else None

    @property
    def newest_id(self) -> int:
        return self.messages[-1].pk if self.messages else 0


def chat_history(*, chat: Chat, before: int | None = None, limit: int | None = None) -> HistoryPage:
    """The newest ``limit`` (50) messages of the chat, or those just before message ``before``."""
    limit = limit or conf.page_size()
    messages = _messages(chat.pk)
    if before is not None:
        messages = messages.filter(pk__lt=before)
    page = list(messages.order_by("-pk")[: limit + 1])
    return HistoryPage(messages=page[:limit][::-1], has_older=len(page) > limit)


def messages_after(*, chat_id: int, after_id: int, limit: int) -> list[Message]:
    """What a page that has messages up to ``after_id`` missed, oldest first (at most ``limit``)."""
    return list(_messages(chat_id).filter(pk__gt=after_id).order_by("pk")[:limit])


def messages_changed(*, chat_id: int, since: dt.datetime, up_to_id: int, limit: int) -> list[Message]:
    """The messages up to ``up_to_id`` whose content changed after ``since`` (``edited_at``), in the order
    they changed (at most ``limit``): what a reconnecting page shows in an older state."""
    return list(
        _messages(chat_id)
        .select_related("bot_request")
        .filter(pk__lte=up_to_id, edited_at__gt=since)
        .order_by("edited_at", "pk")[:limit]
    )


def chat_read_up_to(*, chat: Chat, profile: Profile) -> int:
    """The newest message someone other than ``profile`` has read: ``profile``'s own messages up to it
    show «Прочитано»."""
    value = (
        ChatMember.objects.filter(chat=chat)
        .exclude(profile_id=profile.pk)
        .aggregate(up_to=Max("last_read_id"))["up_to"]
    )
    return int(value or 0)


def chat_members(*, chat: Chat) -> list[ChatMember]:
    """Members with their profiles: admins first, then by name."""
    return list(
        ChatMember.objects.filter(chat=chat)
        .select_related("profile")
        .order_by("-is_admin", "profile__last_name", "profile__first_name", "profile_id")
    )


def access_attachment(*, profile: Profile, chat_id: int, attachment_id: int) -> Attachment:
    """A file of a chat ``profile`` is in, sent in a message that is not deleted; otherwise 404."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id,
            chat_id=chat_id,
            chat__members__profile_id=profile.pk,
            message__is_deleted=False,
        )
        .distinct()
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


# --- People and organizations ------------------------------------------------------------------------


def organization_ids_of(*, profile: Profile) -> list[int]:
    return list(Membership.objects.filter(profile_id=profile.pk).values_list("organization_id", flat=True))


def organizations_for_chat_creation(*, profile: Profile) -> list[Organization]:
    """The organizations where ``profile`` is a teacher or staff member (and so may create chats)."""
    return list(
        Organization.objects.filter(
            Q(memberships__is_teacher=True) | Q(memberships__is_staff=True),
            memberships__profile_id=profile.pk,
        ).distinct()
    )


@dataclass(frozen=True)
class Person:
    """Somebody the viewer may see: a member of a common organization, with roles there."""

    profile: Any
    roles: list[str]
    organizations: list[str]


def _name_filter(query: str) -> Q:
    """Every word of ``query`` in the last, first or middle name. SQLite compares only Latin letters
    without regard to case, so each word is also tried in lower case and capitalized."""
    condition = Q()
    for word in query.split()[:4]:
        variants = {word, word.lower(), word.capitalize()}
        word_q = Q()
        for variant in variants:
            for name in ("last_name", "first_name", "middle_name"):
                word_q |= Q(**{f"{name}__icontains": variant})
        condition &= word_q
    return condition


def visible_people(
    *, viewer: Profile, query: str = "", organization_id: int | None = None, limit: int = 50
) -> list[Person]:
    """Members of the viewer's organizations (but not the viewer), by name, matching ``query``.

    Nobody else is ever listed: a student is found only by members of the student's own schools.
    """
    organizations = Membership.objects.filter(profile_id=viewer.pk).values("organization_id")
    if organization_id is not None:
        organizations = organizations.filter(organization_id=organization_id)
    profiles = list(
        _profile_model()
        .objects.filter(memberships__organization_id__in=organizations)
        .exclude(pk=viewer.pk)
        .filter(_name_filter(query))
        .distinct()
        .order_by("last_name", "first_name", "middle_name", "pk")[:limit]
    )
    memberships: dict[int, list[Membership]] = {}
    for membership in Membership.objects.filter(
        profile_id__in=[p.pk for p in profiles], organization_id__in=organizations
    ).select_related("organization"):
        memberships.setdefault(membership.profile_id, []).append(membership)
    people = []
    for profile in profiles:
        held = memberships.get(profile.pk, [])
        roles = {role for m in held for role in m.roles}
        people.append(
            Person(
                profile=profile,
                roles=[str(role.label) for role in ROLE_ORDER if role in roles],
                organizations=sorted({m.organization.name for m in held}),
            )
        )
    return people


def access_person(*, viewer: Profile, profile_id: int) -> Profile:
    """A profile that shares an organization with ``viewer``; otherwise (or if there is none) 404."""
    shared = Membership.objects.filter(profile_id=viewer.pk).values("organization_id")
    profile: Profile | None = (
        _profile_model()
        .objects.filter(pk=profile_id, memberships__organization_id__in=shared)
        .exclude(pk=viewer.pk)
        .first()
    )
    if profile is None:
        raise Http404
    return profile


# --- Video conferences («Звонки») ---------------------------------------------------------------------


def conferences_of(*, profile: Profile) -> list[Any]:
    """The profile's video conferences, soonest first.

    Hook for the conferences issue: the Conference model and its API come from another change. Until
    then there are none; «Звонки» shows «Видеоконференций пока нет». Replace this body with the query
    (conferences whose participants include ``profile`` directly or through a chat), returning rows with
    ``title``, ``get_kind_display``, ``starts_at``, ``ends_at`` and a join URL name — the template
    ``messenger/calls.html`` already lists such rows.
    """
    return []
