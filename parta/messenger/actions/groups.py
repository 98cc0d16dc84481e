"""The journal's groups → managed chats, set-wise (``POST /api/v1/orgs/{org_ref}/groups:sync``).

A batch mixes *states* (the whole group: kind, title, subject, members, admins, archived) and *deltas*
(members and admins to add or remove). Members are given by profile ``sub`` and must be linked to the
organization (:class:`Link`); unknown ones are reported per group and skipped, never fatal.

The whole batch is one transaction with a fixed number of queries whatever its size: one read of the
organization's links, one of the groups' chats (locked), one of their members, then ``bulk_create``
(ignoring conflicts) for new chats; one ``SELECT … FOR KEY SHARE`` of the memberships of the profiles
about to be added (:func:`~parta.messenger.actions.locks.members_lock`, the lock every action adding
chat members takes: an unlink running meanwhile cannot leave them behind), new members in one ``COPY``,
those who left in one ``DELETE``, one ``UPDATE`` each for new and former admins — a member row is keyed
by (chat, profile), and each pair travels packed into one number (:func:`_by_pairs`). That is PostgreSQL,
where the ids travel as one array literal each and the reads come back as one string per column
(``string_agg``), not as a Python value per row; on SQLite the same sets go through
``bulk_create(ignore_conflicts=True)`` and ``IN (…)`` / ``IN (VALUES …)`` lists cut into chunks to stay
within its limit on query parameters. Applying the same batch twice changes nothing the second time.
After the commit the pages learn of it in the background: one event per profile concerned
(``messenger.chats_changed``) and one per renamed or (un)archived chat.
Measured by bench/api_groups_sync.py (bench/RESULTS.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from parta.core.bulk import bulk_update_rows
from parta.messenger.actions.errors import MessengerError
from parta.messenger.actions.locks import members_lock
from parta.messenger.actions.locks import pg_ints as _ints
from parta.messenger.events import chat_group, profile_group, publish_many
from parta.messenger.models import Chat, ChatKind, ChatMember, Link, Organization

# The journal's kind names → the chat kinds.
KINDS = {
    "class": ChatKind.CLASS,
    "parents": ChatKind.PARENTS,
    "staff": ChatKind.STAFF_ROOM,
    "subject": ChatKind.SUBJECT,
    "other": ChatKind.OTHER,
}
KIND_NAMES = {kind: name for name, kind in KINDS.items()}
CHUNK = 10_000  # ids (or pairs of ids) per IN (…): under SQLite's 32,766 parameters
# Below these, (chat id << 32 | profile id) is a distinct positive bigint for every pair (_by_pairs).
PACKED_CHAT_LIMIT = 2**31
PACKED_PROFILE_LIMIT = 2**32
TITLE_MAX_LENGTH = 200
T = TypeVar("T")


@dataclass(frozen=True)
class GroupState:
    group_ref: str
    kind: str
    title: str
    subject: str = ""
    members: Sequence[str] = ()
    admins: Sequence[str] = ()
    archived: bool = False


@dataclass(frozen=True)
class GroupDelta:
    group_ref: str
    add: Sequence[str] = ()
    remove: Sequence[str] = ()
    admins_add: Sequence[str] = ()
    admins_remove: Sequence[str] = ()
    title: str | None = None  # a new title: a rename without the whole member list (a year rollover)


@dataclass
class GroupResult:
    group_ref: str
    chat_id: int | None = None
    added: int = 0
    removed: int = 0
    admins_changed: int = 0
    created: bool = False
    renamed: bool = False
    archived: bool | None = None
    unknown: list[str] = field(default_factory=list)
    error: str = ""


def _chunks(values: Sequence[T]) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _sub_key(value: str) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _bools(values: Iterable[bool]) -> str:
    return "{" + ",".join("t" if value else "f" for value in values) + "}"


def _insert_members(rows: list[tuple[int, int, bool]], now: dt.datetime) -> None:
    """Insert (chat_id, profile_id, is_admin) rows, skipping any that exist already: ``COPY`` on
    PostgreSQL (see below), ``bulk_create(ignore_conflicts=True)`` elsewhere (SQLite)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        ChatMember.objects.bulk_create(
            [ChatMember(chat_id=c, profile_id=p, is_admin=a, joined_at=now) for c, p, a in rows],
            ignore_conflicts=True,
            batch_size=5000,
        )
        return
    # Every other column gets its model default, the same for all rows (joined_at: now).
    others = [
        field
        for field in ChatMember._meta.concrete_fields
        if field.attname not in ("chat_id", "profile_id", "is_admin")
    ]
    values = [
        now if field.attname == "joined_at" else field.get_db_prep_save(field.get_default(), connection)
        for field in others
    ]
    table = connection.ops.quote_name(ChatMember._meta.db_table)
    names = ", ".join(
        connection.ops.quote_name(name)
        for name in ["chat_id", "profile_id", "is_admin", *(f.column for f in others)]
    )
    placeholders = ", ".join(["w.c", "w.p", "w.a", *(["%s"] * len(others))])
    # The rows are new: the chats are locked (FOR UPDATE) and their members were read after the lock.
    # So they are COPYed straight into the table (a sixth faster than INSERT … SELECT FROM unnest, a
    # third faster than with ON CONFLICT's speculative insertion). Should another path have added one of
    # these members meanwhile, the savepoint is rolled back and INSERT … ON CONFLICT DO NOTHING skips it.
    constant = "\t".join(_copy_text(value) for value in values)
    data = "".join(f"{c}\t{p}\t{'t' if a else 'f'}\t{constant}\n" for c, p, a in rows)
    try:
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            copy.write(data)
    except IntegrityError:
        chats, profiles, admins = zip(*rows, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {placeholders} "  # noqa: S608 -- names from the model, values bound
                "FROM unnest(%s::bigint[], %s::bigint[], %s::boolean[]) AS w(c, p, a) ON CONFLICT DO NOTHING",
                [*values, _ints(chats), _ints(profiles), _bools(admins)],
            )


def _copy_text(value: object) -> str:
    """A value in COPY's text format (the constant columns: a time, a number, a flag)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


@dataclass
class _Members:
    """Members of several chats as (chat id, profile id) pairs, kept as two parallel lists: no Python
    tuple per pair to build and take apart again (a large batch has 100,000 of them)."""

    chats: list[int] = field(default_factory=list)
    profiles: list[int] = field(default_factory=list)

    def add(self, chat_id: int, profile_ids: Collection[int]) -> None:
        self.chats.extend([chat_id] * len(profile_ids))
        self.profiles.extend(profile_ids)


def _by_pairs(members: _Members, *, delete: bool = False, is_admin: bool | None = None) -> None:
    """DELETE these members, or set their ``is_admin``: one statement on PostgreSQL, chunks of
    ``(chat_id, profile_id) IN (VALUES …)`` on SQLite.

    On PostgreSQL each pair travels packed into one number, ``chat_id << 32 | profile_id``, matched by
    ``= ANY(array)``, which PostgreSQL hashes: as fast as the single-id match of old (about 0.1 s for
    50,000 pairs, measured), where joining the pairs as two ``unnest`` arrays took two to three times
    longer. Ids past the packing's range (never reached in practice) are matched through ``unnest``.
    """
    if not members.chats:
        return
    table = connection.ops.quote_name(ChatMember._meta.db_table)
    change = (
        f"DELETE FROM {table}"  # noqa: S608 -- table from the model
        if delete
        else f"UPDATE {table} SET is_admin = %s"  # noqa: S608 -- table from the model, value bound
    )
    first: list[bool | None] = [] if delete else [is_admin]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for chunk in _chunks(list(zip(members.chats, members.profiles, strict=True))):
                rows = ", ".join(["(%s, %s)"] * len(chunk))
                cursor.execute(
                    f"{change} WHERE (chat_id, profile_id) IN (VALUES {rows})",
                    [*first, *itertools.chain.from_iterable(chunk)],
                )
        elif max(members.chats) < PACKED_CHAT_LIMIT and max(members.profiles) < PACKED_PROFILE_LIMIT:
            keys = (
                chat << 32 | profile for chat, profile in zip(members.chats, members.profiles, strict=True)
            )
            cursor.execute(
                f"{change} WHERE chat_id = ANY(%s::bigint[]) "
                "AND ((chat_id << 32) | profile_id) = ANY(%s::bigint[])",
                [*first, _ints(sorted(set(members.chats))), _ints(keys)],
            )
        else:
            cursor.execute(
                f"{change} WHERE (chat_id, profile_id) IN "  # noqa: S608 -- table from the model, values bound
                "(SELECT * FROM unnest(%s::bigint[], %s::bigint[]))",
                [*first, _ints(members.chats), _ints(members.profiles)],
            )


def _linked(organization: Organization) -> dict[str, int]:
    """The organization's linked profiles: sub (``str(UUID)``) → profile id. On PostgreSQL the subs
    come as text and both columns as one string each (tens of thousands of rows converted one value at
    a time cost a tenth of a second and more); elsewhere through the ORM."""
    links = Link.objects.filter(organization=organization)
    if connection.vendor != "postgresql":
        return {str(sub): pid for sub, pid in links.values_list("profile_sub", "profile_id")}
    table = connection.ops.quote_name(Link._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT string_agg(profile_sub::text, ','), string_agg(profile_id::text, ',') "  # noqa: S608 -- table from the model
            f"FROM {table} WHERE organization_id = %s",
            [organization.pk],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return {}
    return dict(zip(row[0].split(","), map(int, row[1].split(",")), strict=True))


def _current_members(chat_ids: list[int]) -> dict[int, dict[int, bool]]:
    """chat id → {profile id: is_admin}. PostgreSQL sends each chat's members as two strings
    (``string_agg``), split in Python: 100,000 members in hundredths of a second instead of a few tenths
    for as many rows; elsewhere through the ORM, ``IN (…)`` in chunks."""
    current: dict[int, dict[int, bool]] = {chat_id: {} for chat_id in chat_ids}
    if not chat_ids:
        return current
    if connection.vendor != "postgresql":
        for chunk in _chunks(chat_ids):
            rows = (
                ChatMember.objects.filter(chat_id__in=chunk)
                .order_by()
                .values_list("chat_id", "profile_id", "is_admin")
            )
            for chat_id, profile_id, is_admin in rows:
                current[chat_id][profile_id] = is_admin
        return current
    table = connection.ops.quote_name(ChatMember._meta.db_table)
    # Chat by chat (LATERAL), not ``chat_id = ANY(…)``: without statistics of the members' table (a region's
    # first sync fills it from empty, and autovacuum's ANALYZE comes minutes later) PostgreSQL takes each
    # value of ANY for 0.5 % of the table and, from about a hundred chats on, reads the whole table: 100 ms
    # a batch at 1,000,000 students instead of 2 ms. One chat's equality stays an index scan.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, m.profiles, m.admins FROM unnest(%s::bigint[]) AS c(id) "  # noqa: S608 -- table from the model
            "CROSS JOIN LATERAL (SELECT string_agg(profile_id::text, ',') AS profiles, "
            "string_agg(CASE WHEN is_admin THEN '1' ELSE '0' END, '') AS admins "
            f"FROM {table} WHERE chat_id = c.id) AS m WHERE m.profiles IS NOT NULL",
            [_ints(chat_ids)],
        )
        for chat_id, profiles, admins in cursor.fetchall():
            current[chat_id] = dict(
                zip(map(int, profiles.split(",")), (flag == "1" for flag in admins), strict=True)
            )
    return current


def _touches_members(item: GroupState | GroupDelta) -> bool:
    """A state always sets the members; a delta only when it lists some."""
    return isinstance(item, GroupState) or bool(
        item.add or item.remove or item.admins_add or item.admins_remove
    )


def _check(items: Sequence[GroupState | GroupDelta]) -> None:
    seen: set[str] = set()
    for item in items:
        ref = item.group_ref.strip()
        if not ref or len(ref) > 200:
            raise MessengerError("group_ref: от 1 до 200 символов.")
        if ref in seen:
            raise MessengerError(f"Группа «{ref}» передана в пакете дважды: объедините её изменения.")
        seen.add(ref)
        if isinstance(item, GroupState) and item.kind not in KINDS:
            raise MessengerError(
                f"Группа «{ref}»: неизвестный вид «{item.kind}» (class, parents, staff, subject, other)."
            )
        if item.title is not None and (not item.title or len(item.title) > TITLE_MAX_LENGTH):
            raise MessengerError(f"Группа «{ref}»: название — от 1 до {TITLE_MAX_LENGTH} символов.")


def _cleaned(item: GroupState | GroupDelta) -> GroupState | GroupDelta:
    """The item's title and subject as a chat keeps them: runs of whitespace as one space, the subject
    cut to 200 characters. Done once, as the batch comes in; everything after compares and stores these."""
    if isinstance(item, GroupState):
        return replace(item, title=" ".join(item.title.split()), subject=" ".join(item.subject.split())[:200])
    if item.title is not None:
        return replace(item, title=" ".join(item.title.split()))
    return item


def groups_sync(*, organization: Organization, items: Sequence[GroupState | GroupDelta]) -> list[GroupResult]:
    """Apply the batch to the organization's managed chats; one result per item, in order."""
    items = [_cleaned(item) for item in items]
    _check(items)
    subs = _linked(organization)
    results = [GroupResult(group_ref=item.group_ref.strip()) for item in items]
    refs = [result.group_ref for result in results]
    now = timezone.now()

    def resolve(result: GroupResult, values: Iterable[str]) -> set[int]:
        ids = set()
        for value in values:
            pid = subs.get(value)
            if pid is None:
                pid = subs.get(_sub_key(value) or "")
            if pid is None:
                if value not in result.unknown:
                    result.unknown.append(value)
            else:
                ids.add(pid)
        return ids

    with transaction.atomic():
        chats = {
            chat.managed_ref: chat
            for chat in Chat.objects.select_for_update().filter(
                organization=organization, managed_ref__in=refs
            )
        }
        missing = [
            Chat(
                organization=organization,
                kind=KINDS[item.kind],
                title=item.title,
                subject=item.subject,
                managed_ref=result.group_ref,
                is_archived=item.archived,
                archived_at=now if item.archived else None,
                created_at=now,
            )
            for item, result in zip(items, results, strict=True)
            if isinstance(item, GroupState) and result.group_ref not in chats
        ]
        if missing:
            Chat.objects.bulk_create(missing, ignore_conflicts=True)
            created_refs = {chat.managed_ref for chat in missing}
            for chat in Chat.objects.filter(organization=organization, managed_ref__in=created_refs):
                chats[chat.managed_ref] = chat
        else:
            created_refs = set()

        changed_chats: list[Chat] = []
        for item, result in zip(items, results, strict=True):
            found = chats.get(result.group_ref)
            if found is None:
                result.error = "Группа не найдена: сначала передайте её состояние (kind, title, members)."
                continue
            chat = found
            result.chat_id = chat.pk
            result.created = result.group_ref in created_refs
            if isinstance(item, GroupDelta) and item.title is not None:
                if chat.title != item.title:  # a rename by delta: the kind, subject and archive state stay
                    result.renamed = True
                    chat.title = item.title
                    changed_chats.append(chat)
            elif isinstance(item, GroupState) and not result.created:
                title, subject = item.title, item.subject
                kind = KINDS[item.kind]
                if (chat.title, chat.subject, chat.kind, chat.is_archived) != (
                    title,
                    subject,
                    kind,
                    item.archived,
                ):
                    result.renamed = chat.title != title
                    if chat.is_archived != item.archived:
                        result.archived = item.archived
                        chat.archived_at = now if item.archived else None
                    chat.title, chat.subject, chat.kind, chat.is_archived = (
                        title,
                        subject,
                        kind,
                        item.archived,
                    )
                    changed_chats.append(chat)
        if changed_chats:
            bulk_update_rows(changed_chats, ["title", "subject", "kind", "is_archived", "archived_at"])

        # Members are read only for the chats whose members this batch may change: not for a delta that
        # only renames (a year rollover renames every class chat). A chat made just now is read too: had
        # another request made it first (bulk_create's ignore_conflicts), it may have members already.
        chat_ids = sorted(
            {
                r.chat_id
                for item, r in zip(items, results, strict=True)
                if r.chat_id is not None and _touches_members(item)
            }
        )
        current = _current_members(chat_ids)

        new_rows: list[tuple[int, int, bool]] = []
        gone, promote, demote = _Members(), _Members(), _Members()
        added_by_chat: dict[int, list[int]] = {}
        removed_by_chat: dict[int, list[int]] = {}
        for item, result in zip(items, results, strict=True):
            if result.chat_id is None or not _touches_members(item):
                continue
            have = current.get(result.chat_id, {})
            admins_now = {pid for pid, is_admin in have.items() if is_admin}
            if isinstance(item, GroupState):
                admins = resolve(result, item.admins)
                members = resolve(result, item.members) | admins
            else:
                remove = resolve(result, item.remove)
                admins_add = resolve(result, item.admins_add)
                members = (have.keys() | resolve(result, item.add) | admins_add) - remove
                admins = ((admins_now | admins_add) - resolve(result, item.admins_remove)) & members
            added = members - have.keys()
            removed = have.keys() - members
            staying = have.keys() & members
            up = [pid for pid in staying if pid in admins and not have[pid]]
            down = [pid for pid in staying if pid not in admins and have[pid]]
            chat_id = result.chat_id
            new_rows.extend((chat_id, pid, pid in admins) for pid in added)
            gone.add(chat_id, removed)
            promote.add(chat_id, up)
            demote.add(chat_id, down)
            result.added, result.removed = len(added), len(removed)
            result.admins_changed = len(up) + len(down)
            if added:
                added_by_chat[result.chat_id] = sorted(added)
            if removed:
                removed_by_chat[result.chat_id] = sorted(removed)

        adding = {pid for _, pid, _ in new_rows}
        vanished = adding - members_lock(organization_id=organization.pk, profile_ids=adding)
        if vanished:  # unlinked since the links were read (their memberships with them): not inserted
            new_rows = [row for row in new_rows if row[1] not in vanished]
            for result in results:
                if result.chat_id in added_by_chat:
                    kept = [pid for pid in added_by_chat[result.chat_id] if pid not in vanished]
                    result.added -= len(added_by_chat[result.chat_id]) - len(kept)
                    added_by_chat[result.chat_id] = kept
        _insert_members(new_rows, now)
        _by_pairs(gone, delete=True)
        _by_pairs(promote, is_admin=True)
        _by_pairs(demote, is_admin=False)

        def publish() -> None:
            # One event per profile concerned, listing every chat it was added to and removed from
            # (the consumer's messenger_chats_changed), then one per renamed or (un)archived chat; sent
            # after the response by the server's loop (publish_many(wait=False)): tens of thousands of
            # group_send do not hold the journal's request.
            per_profile: dict[int, tuple[list[int], list[int]]] = {}
            for chat_id, pids in added_by_chat.items():
                for pid in pids:
                    per_profile.setdefault(pid, ([], []))[0].append(chat_id)
            for chat_id, pids in removed_by_chat.items():
                for pid in pids:
                    per_profile.setdefault(pid, ([], []))[1].append(chat_id)
            events: list[tuple[str, dict[str, Any]]] = [
                (profile_group(pid), {"type": "messenger.chats_changed", "added": added, "removed": removed})
                for pid, (added, removed) in per_profile.items()
            ]
            events += [
                (
                    chat_group(chat.pk),
                    {
                        "type": "messenger.chat_state",
                        "chat": chat.pk,
                        "title": chat.title,
                        "archived": chat.is_archived,
                    },
                )
                for chat in changed_chats
            ]
            publish_many(events, wait=False)

        if added_by_chat or removed_by_chat or changed_chats:
            transaction.on_commit(publish)
    return results
