"""Chats: creating them, their members (set-wise), direct chats, the community chat «Сферум», archiving.

Members are given as profile ids. A managed chat (one with ``managed_ref``: a journal's group owns it)
takes its members and admins only from :func:`chat_members_set` / :func:`chat_members_apply`, which API
v1 calls; both compute the difference with what is stored and change only that, in a few set-wise
queries, so applying the same state twice changes nothing.

Every action here that puts profiles into an organization's chat first locks their memberships with
:func:`~parta.messenger.actions.locks.members_lock` (as ``groups:sync`` does), in the transaction that
writes the rows: a profile leaving the organization at the same moment is either refused here or
removed together with the new rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from parta.messenger import conf
from parta.messenger.actions.errors import MessengerError
from parta.messenger.actions.locks import members_lock
from parta.messenger.events import (
    publish_chat_state,
    publish_chats_added,
    publish_members_removed,
)
from parta.messenger.models import GROUP_KINDS, Chat, ChatKind, ChatMember, Membership, Organization, Role
from parta.messenger.types import Profile

TITLE_MAX_LENGTH = 200


@dataclass(frozen=True)
class MembersChange:
    """What a members action changed (profile ids, sorted)."""

    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    promoted: tuple[int, ...] = ()  # became admins
    demoted: tuple[int, ...] = ()  # stopped being admins

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.promoted or self.demoted)


def _title_clean(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise MessengerError("Введите название чата.")
    if len(title) > TITLE_MAX_LENGTH:
        raise MessengerError(f"Название чата — не больше {TITLE_MAX_LENGTH} символов.")
    return title


def _apply(*, chat: Chat, members: set[int], admins: set[int]) -> MembersChange:
    """Make the chat's members exactly ``members`` and its admins exactly ``admins`` (⊆ members).
    Runs inside the caller's transaction, with the chat row locked; the members' memberships are locked
    (:func:`members_lock`) before any row is written, so nobody who is leaving the organization stays."""
    members = members | admins
    outsiders = members - members_lock(organization_id=chat.organization_id, profile_ids=members)
    if outsiders:
        raise MessengerError(
            "В чат можно добавить только участников организации: "
            f"{len(outsiders)} из указанных людей в неё не входят."
        )
    current = dict(ChatMember.objects.filter(chat=chat).values_list("profile_id", "is_admin"))
    added = members - current.keys()
    removed = current.keys() - members
    staying = current.keys() & members
    promoted = {pid for pid in staying if pid in admins and not current[pid]}
    demoted = {pid for pid in staying if pid not in admins and current[pid]}
    now = timezone.now()
    if added:
        ChatMember.objects.bulk_create(
            [
                ChatMember(chat=chat, profile_id=pid, is_admin=pid in admins, joined_at=now)
                for pid in sorted(added)
            ],
            batch_size=1000,
        )
    if removed:
        ChatMember.objects.filter(chat=chat, profile_id__in=removed).delete()
    if promoted:
        ChatMember.objects.filter(chat=chat, profile_id__in=promoted).update(is_admin=True)
    if demoted:
        ChatMember.objects.filter(chat=chat, profile_id__in=demoted).update(is_admin=False)
    chat_id = chat.pk
    if added:
        transaction.on_commit(lambda: publish_chats_added(chat_id=chat_id, profile_ids=added))
    if removed:
        transaction.on_commit(lambda: publish_members_removed(chat_id=chat_id, profile_ids=removed))
    return MembersChange(
        added=tuple(sorted(added)),
        removed=tuple(sorted(removed)),
        promoted=tuple(sorted(promoted)),
        demoted=tuple(sorted(demoted)),
    )


def _lock(chat: Chat) -> Chat:
    return Chat.objects.select_for_update().get(pk=chat.pk)


def _group_chat_check(chat: Chat) -> None:
    if chat.kind not in GROUP_KINDS or chat.organization_id is None:
        raise MessengerError("Состав этого чата не меняется.")


def chat_create(
    *,
    organization: Organization,
    kind: str,
    title: str,
    created_by: Profile | None = None,
    subject: str = "",
    managed_ref: str | None = None,
    members: Iterable[int] = (),
    admins: Iterable[int] = (),
) -> Chat:
    """Create a chat of ``organization``.

    - A person (``created_by``): a teacher or staff member of the organization, a chat of any of the
      school's kinds («Классный чат», «Родительский чат», «Учительская», «Предметный чат», «Другое»)
      that no journal manages, with members from the organization; the creator is its admin.
    - A journal (``created_by=None``, through API v1): any of the school's kinds, ``managed_ref`` naming
      its group, with the members and admins it says.
    """
    if kind not in GROUP_KINDS:
        raise MessengerError("Такой чат создать нельзя.")
    title = _title_clean(title)
    subject = " ".join(subject.split())[:200]
    wanted = set(members)
    wanted_admins = set(admins)
    if created_by is not None:
        if managed_ref is not None:
            raise MessengerError("Чатом группы журнала управляет только журнал.")
        membership = Membership.objects.filter(organization=organization, profile_id=created_by.pk).first()
        if membership is None or not membership.may_create_chats:
            raise MessengerError("Создавать чаты в этой организации могут учителя и сотрудники.")
        wanted_admins.add(created_by.pk)
    elif managed_ref is not None:
        managed_ref = managed_ref.strip()
        if not managed_ref or len(managed_ref) > 200:
            raise MessengerError("Идентификатор группы журнала: от 1 до 200 символов.")
    with transaction.atomic():
        if (
            managed_ref is not None
            and Chat.objects.filter(organization=organization, managed_ref=managed_ref).exists()
        ):
            raise MessengerError("Чат этой группы журнала уже есть.")
        chat = Chat.objects.create(
            organization=organization,
            kind=kind,
            title=title,
            subject=subject,
            managed_ref=managed_ref,
            created_by_id=created_by.pk if created_by is not None else None,
        )
        _apply(chat=chat, members=wanted, admins=wanted_admins)
    return chat


def chat_members_set(*, chat: Chat, members: Iterable[int], admins: Iterable[int] = ()) -> MembersChange:
    """Make the chat's members exactly ``members`` (profile ids) and its admins exactly ``admins``.
    For the journal's groups (API v1); idempotent."""
    _group_chat_check(chat)
    with transaction.atomic():
        chat = _lock(chat)
        return _apply(chat=chat, members=set(members), admins=set(admins))


def chat_members_apply(
    *,
    chat: Chat,
    add: Iterable[int] = (),
    remove: Iterable[int] = (),
    admins_add: Iterable[int] = (),
    admins_remove: Iterable[int] = (),
) -> MembersChange:
    """Apply deltas: add and remove members, grant and take away admin rights (an id both added and
    removed is removed). Idempotent: adding a member twice or removing an absent one changes nothing."""
    _group_chat_check(chat)
    remove_set = set(remove)
    with transaction.atomic():
        chat = _lock(chat)
        current = dict(ChatMember.objects.filter(chat=chat).values_list("profile_id", "is_admin"))
        members = (current.keys() | set(add) | set(admins_add)) - remove_set
        admins = ({pid for pid, is_admin in current.items() if is_admin} | set(admins_add)) - set(
            admins_remove
        )
        return _apply(chat=chat, members=members, admins=admins & members)


def chat_update(*, chat: Chat, title: str | None = None, subject: str | None = None) -> Chat:
    """Rename a chat or change its subject (the journal renames 5А's chat to 6А's in a new year)."""
    with transaction.atomic():
        chat = _lock(chat)
        fields = []
        if title is not None and _title_clean(title) != chat.title:
            chat.title = _title_clean(title)
            fields.append("title")
        if subject is not None and " ".join(subject.split())[:200] != chat.subject:
            chat.subject = " ".join(subject.split())[:200]
            fields.append("subject")
        if fields:
            chat.save(update_fields=fields)
            transaction.on_commit(lambda: publish_chat_state(chat))
    return chat


def chat_archive(*, chat: Chat, archived: bool = True, by: Profile | None = None) -> Chat:
    """Put the chat into the archive (read-only, history kept) or take it out.

    A journal (``by=None``) archives its groups' chats; a person only an unmanaged chat they administer.
    """
    if by is not None:
        if chat.is_managed or chat.kind not in GROUP_KINDS:
            raise MessengerError("Этот чат отправляет в архив электронный журнал.")
        if not ChatMember.objects.filter(chat=chat, profile_id=by.pk, is_admin=True).exists():
            raise MessengerError("Отправить чат в архив может только его администратор.")
    with transaction.atomic():
        chat = _lock(chat)
        if chat.is_archived != archived:
            chat.is_archived = archived
            chat.archived_at = timezone.now() if archived else None
            chat.save(update_fields=["is_archived", "archived_at"])
            transaction.on_commit(lambda: publish_chat_state(chat))
    return chat


def _common_memberships(by: Profile, other: Profile) -> list[Membership]:
    """``by``'s memberships in the organizations ``other`` belongs to as well."""
    shared = Membership.objects.filter(profile_id=other.pk).values("organization_id")
    return list(
        Membership.objects.filter(profile_id=by.pk, organization_id__in=shared).order_by("organization_id")
    )


def _both_members(organization_id: int, low: int, high: int) -> None:
    """Lock both memberships of a direct chat's organization (:func:`members_lock`); one of the two has
    just left it: refused as if they had no school in common."""
    if members_lock(organization_id=organization_id, profile_ids=(low, high)) != {low, high}:
        raise MessengerError("Написать можно только участникам вашей организации.")


def direct_chat_open(*, by: Profile, other: Profile) -> Chat:
    """The direct chat of ``by`` and ``other`` — opened now if there is none yet.

    Only members of a common organization can write to each other. When
    ``PARTA_MESSENGER_STUDENTS_START_DIRECT`` is off, a profile that is only a student in every common
    organization cannot open a new direct chat (it still answers in one a teacher or parent opened).
    """
    if by.pk == other.pk:
        raise MessengerError("Нельзя написать самому себе.")
    low, high = sorted((int(by.pk), int(other.pk)))
    key = f"{low}:{high}"
    existing = Chat.objects.filter(direct_key=key).first()
    common = _common_memberships(by, other)
    if not common:
        raise MessengerError("Написать можно только участникам вашей организации.")
    if existing is not None:
        # One of the two may have left it (by leaving the school the chat was opened in) and come back
        # through another school they share: the same chat, with its history, takes both again.
        present = set(ChatMember.objects.filter(chat=existing).values_list("profile_id", flat=True))
        missing = {low, high} - present
        if missing:
            shared = {m.organization_id for m in common}
            organization_id = (
                existing.organization_id if existing.organization_id in shared else common[0].organization_id
            )
            with transaction.atomic():
                _both_members(organization_id, low, high)
                ChatMember.objects.bulk_create(
                    [ChatMember(chat=existing, profile_id=pid) for pid in sorted(missing)],
                    ignore_conflicts=True,
                )
                if existing.organization_id != organization_id:
                    Chat.objects.filter(pk=existing.pk).update(organization_id=organization_id)
                    existing.organization_id = organization_id
                chat_id = existing.pk
                transaction.on_commit(lambda: publish_chats_added(chat_id=chat_id, profile_ids=missing))
        return existing
    only_student = all(m.roles == {Role.STUDENT} for m in common)
    if only_student and not conf.students_start_direct():
        raise MessengerError(
            "Ученики не могут первыми начинать личную переписку. Написать первым может учитель или родитель."
        )
    try:
        with transaction.atomic():
            _both_members(common[0].organization_id, low, high)
            chat = Chat.objects.create(
                organization_id=common[0].organization_id, kind=ChatKind.DIRECT, direct_key=key
            )
            ChatMember.objects.bulk_create(
                [ChatMember(chat=chat, profile_id=low), ChatMember(chat=chat, profile_id=high)]
            )
            transaction.on_commit(lambda: publish_chats_added(chat_id=chat.pk, profile_ids=(low, high)))
    except IntegrityError:  # opened by the other side at the same moment
        return Chat.objects.get(direct_key=key)
    return chat


def community_chat_of(*, profile: Profile) -> Chat:
    """The profile's community chat «Сферум» — created on first use. Only the platform (its bot) writes
    in it: ``message_send(chat=…, author=None, text=…)``."""
    chat = Chat.objects.filter(kind=ChatKind.COMMUNITY, owner_id=profile.pk).first()
    if chat is not None:
        return chat
    try:
        with transaction.atomic():
            chat = Chat.objects.create(
                kind=ChatKind.COMMUNITY, owner_id=profile.pk, title=conf.platform_name()
            )
            ChatMember.objects.create(chat=chat, profile_id=profile.pk)
    except IntegrityError:  # two first visits at once
        return Chat.objects.get(kind=ChatKind.COMMUNITY, owner_id=profile.pk)
    return chat
