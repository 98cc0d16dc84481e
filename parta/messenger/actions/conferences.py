"""Video conferences: the journal plans them (API v1), a participant joins one.

:func:`conference_put` creates or updates the conference ``conf_ref`` of an organization — idempotent:
the same body twice changes nothing the second time. :func:`conference_delete` removes it.
:func:`conference_join_url` mints the signed link to the video engine for one participant, and only
inside the join window (:mod:`parta.messenger.video.window`): earlier it raises
:class:`~parta.messenger.video.JoinNotOpenError` with «Ссылка будет доступна в момент начала
видеоконференции». The time is the platform's clock (:func:`parta.core.clock.now`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from parta.core import clock
from parta.core.bulk import bulk_update_rows
from parta.messenger.actions.errors import MessengerError
from parta.messenger.actions.link_requests import OrganizationNotFoundError
from parta.messenger.models import (
    Chat,
    ChatMember,
    Conference,
    ConferenceKind,
    ConferenceParticipant,
    Membership,
    Organization,
)
from parta.messenger.types import Profile
from parta.messenger.video import Participant, RoomSpec, video_engine

TITLE_MAX_LENGTH = 200
REF_MAX_LENGTH = 200
LONGEST = dt.timedelta(hours=24)


def _organization(*, client_id: int, org_ref: str) -> Organization:
    organization = Organization.objects.filter(client_id=client_id, ref=org_ref).first()
    if organization is None:
        raise OrganizationNotFoundError(
            "Организация не найдена: сначала зарегистрируйте её (PUT /api/v1/orgs/…)."
        )
    return organization


def _members_by_sub(organization: Organization, subs: Iterable[UUID | str]) -> dict[str, int]:
    """sub → profile id, for the members of ``organization`` among ``subs``."""
    wanted = {str(sub) for sub in subs}
    if not wanted:
        return {}
    rows = Membership.objects.filter(organization=organization, profile__sub__in=wanted).values_list(
        "profile__sub", "profile_id"
    )
    return {str(sub): profile_id for sub, profile_id in rows}


@dataclass(frozen=True)
class ConferenceSpec:
    """One conference as the journal wants it (``PUT …/conferences/{conf_ref}`` or an item of
    ``conferences:sync``)."""

    conf_ref: str
    title: str
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    group_ref: str | None = None
    participants: tuple[str, ...] = ()
    organizer: str | None = None


@dataclass
class ConferenceOutcome:
    """What a batch did to one conference: ``created``, ``updated``, ``unchanged``, ``deleted``,
    ``absent`` (deleting one that was not there) or ``refused`` (``error`` says why, in Russian)."""

    conf_ref: str
    status: str
    error: str = ""
    conference: Conference | None = None


def _checked(spec: ConferenceSpec) -> tuple[str, str]:
    """The spec's conf_ref and title normalized; raises :class:`MessengerError` for what no conference
    may be."""
    conf_ref = spec.conf_ref.strip()
    if not conf_ref or len(conf_ref) > REF_MAX_LENGTH:
        raise MessengerError("Идентификатор видеоконференции: от 1 до 200 символов.")
    title = " ".join(spec.title.split())
    if not title:
        raise MessengerError("Введите название видеоконференции.")
    if len(title) > TITLE_MAX_LENGTH:
        raise MessengerError(f"Название видеоконференции — не больше {TITLE_MAX_LENGTH} символов.")
    if spec.kind not in ConferenceKind.values:
        raise MessengerError(
            "Тип видеоконференции: lesson («Онлайн-урок»), meeting («Встреча») или other («Другое»)."
        )
    if timezone.is_naive(spec.starts_at) or timezone.is_naive(spec.ends_at):
        raise MessengerError(
            "Укажите начало и окончание с часовым поясом (например, 2026-09-01T09:00:00+03:00)."
        )
    if spec.ends_at <= spec.starts_at:
        raise MessengerError("Окончание видеоконференции должно быть позже её начала.")
    if spec.ends_at - spec.starts_at > LONGEST:
        raise MessengerError("Видеоконференция не может длиться дольше суток.")
    return conf_ref, title


def _resolved(
    spec: ConferenceSpec, chats: dict[str, int], members: dict[str, int]
) -> tuple[dict[str, object], set[int]]:
    """The conference's column values and participant profile ids; raises :class:`MessengerError` when
    its group or a person named is not in the organization."""
    chat_id = None
    if spec.group_ref:
        chat_id = chats.get(spec.group_ref)
        if chat_id is None:
            raise MessengerError(f"Группа «{spec.group_ref}» не найдена в этой организации.")
    named = set(spec.participants) | ({spec.organizer} if spec.organizer else set())
    missing = named - members.keys()
    if missing:
        raise MessengerError(
            "Участниками могут быть только участники организации: "
            f"{len(missing)} из указанных профилей в неё не входят."
        )
    values: dict[str, object] = {
        "title": spec.title,
        "kind": spec.kind,
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "chat_id": chat_id,
        "organizer_id": members[spec.organizer] if spec.organizer else None,
    }
    return values, {members[sub] for sub in spec.participants}


def conferences_sync(
    *, organization: Organization, put: Sequence[ConferenceSpec] = (), delete: Sequence[str] = ()
) -> list[ConferenceOutcome]:
    """Create, update and delete many conferences of one organization at once: a fixed number of
    statements per batch, whatever its size (the sync of a region's online lessons). Idempotent: the same
    batch twice answers ``unchanged`` and ``absent``. A conference that cannot be made is ``refused``
    with its reason and the others are applied. One outcome per item, puts first, in order."""
    outcomes: list[ConferenceOutcome] = []
    valid: dict[str, tuple[ConferenceOutcome, ConferenceSpec]] = {}
    for spec in put:
        outcome = ConferenceOutcome(spec.conf_ref, "refused")
        outcomes.append(outcome)
        try:
            conf_ref, title = _checked(spec)
        except MessengerError as error:
            outcome.error = str(error)
            continue
        if conf_ref in valid:
            outcome.error = "Видеоконференция повторяется в пакете."
            continue
        valid[conf_ref] = (outcome, replace(spec, conf_ref=conf_ref, title=title))
    specs = [spec for _, spec in valid.values()]
    chats: dict[str, int] = {
        ref: pk
        for ref, pk in Chat.objects.filter(
            organization=organization, managed_ref__in={s.group_ref for s in specs if s.group_ref}
        ).values_list("managed_ref", "pk")
        if ref is not None
    }
    members = _members_by_sub(
        organization,
        {sub for s in specs for sub in s.participants} | {s.organizer for s in specs if s.organizer},
    )
    wanted: dict[str, tuple[dict[str, object], set[int]]] = {}
    for conf_ref, (outcome, spec) in valid.items():
        try:
            wanted[conf_ref] = _resolved(spec, chats, members)
        except MessengerError as error:
            outcome.error = str(error)
    gone = [ref.strip() for ref in delete]
    with transaction.atomic():
        _apply(organization, wanted, {ref: outcome for ref, (outcome, _) in valid.items()})
        existing = set(
            Conference.objects.filter(organization=organization, ref__in=gone).values_list("ref", flat=True)
        )
        if existing:
            Conference.objects.filter(organization=organization, ref__in=existing).delete()
    outcomes.extend(ConferenceOutcome(ref, "deleted" if ref in existing else "absent") for ref in gone)
    return outcomes


def _apply(
    organization: Organization,
    wanted: dict[str, tuple[dict[str, object], set[int]]],
    outcomes: dict[str, ConferenceOutcome],
) -> None:
    """Write the wanted conferences and their participants: the rows locked in one query, new ones
    inserted and changed ones updated in bulk, participants diffed for the whole batch at once."""
    if not wanted:
        return
    now = timezone.now()
    existing = {
        c.ref: c
        for c in Conference.objects.select_for_update()
        .filter(organization=organization, ref__in=list(wanted))
        .order_by("pk")
    }
    new: list[Conference] = []
    changed: list[Conference] = []
    fields: set[str] = set()
    for conf_ref, (values, _) in wanted.items():
        conference = existing.get(conf_ref)
        outcome = outcomes[conf_ref]
        if conference is None:
            conference = Conference(organization=organization, ref=conf_ref, **values)
            new.append(conference)
            outcome.status = "created"
        else:
            differ = [field for field, value in values.items() if getattr(conference, field) != value]
            for field in differ:
                setattr(conference, field, values[field])
            if differ:
                conference.updated_at = now
                changed.append(conference)
                fields.update([*differ, "updated_at"])
            outcome.status = "updated" if differ else "unchanged"
        outcome.conference = conference
    Conference.objects.bulk_create(new, batch_size=1000)
    if changed:
        bulk_update_rows(changed, sorted(fields))
    ids = {conf_ref: outcomes[conf_ref].conference.pk for conf_ref in wanted}  # type: ignore[union-attr]
    current: dict[int, set[int]] = {pk: set() for pk in ids.values()}
    for conference_id, profile_id in ConferenceParticipant.objects.filter(
        conference_id__in=list(current)
    ).values_list("conference_id", "profile_id"):
        current[conference_id].add(profile_id)
    fresh: list[ConferenceParticipant] = []
    for conf_ref, (_, people) in wanted.items():
        conference_id = ids[conf_ref]
        before = current[conference_id]
        if before - people:
            ConferenceParticipant.objects.filter(
                conference_id=conference_id, profile_id__in=before - people
            ).delete()  # rare (a lesson's participants changed): one statement per such conference
        fresh.extend(
            ConferenceParticipant(conference_id=conference_id, profile_id=profile_id)
            for profile_id in sorted(people - before)
        )
        if people != before and outcomes[conf_ref].status == "unchanged":
            outcomes[conf_ref].status = "updated"
    ConferenceParticipant.objects.bulk_create(fresh, batch_size=5000)


def conference_put(
    *,
    client_id: int,
    org_ref: str,
    conf_ref: str,
    title: str,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    group_ref: str | None = None,
    participants: Iterable[UUID | str] = (),
    organizer: UUID | str | None = None,
) -> tuple[Conference, bool]:
    """Create or update the conference ``conf_ref`` of the journal's organization ``org_ref``.

    Participants: the members of the journal's group ``group_ref`` (its chat), and the profiles listed by
    ``sub`` in ``participants``; ``organizer`` (a ``sub``) joins as moderator. Everybody named must be a
    member of the organization. Returns the conference and whether it is new; raises
    :class:`MessengerError` with the reason when it cannot be made.
    """
    spec = ConferenceSpec(
        conf_ref=conf_ref,
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        group_ref=group_ref,
        participants=tuple(str(sub) for sub in participants),
        organizer=str(organizer) if organizer else None,
    )
    (outcome,) = conferences_sync(
        organization=_organization(client_id=client_id, org_ref=org_ref), put=[spec]
    )
    if outcome.conference is None:
        raise MessengerError(outcome.error)
    return outcome.conference, outcome.status == "created"


def conference_delete(*, client_id: int, org_ref: str, conf_ref: str) -> bool:
    """Remove the conference; ``False`` if there was none (deleting twice is no error)."""
    organization = _organization(client_id=client_id, org_ref=org_ref)
    deleted, _ = Conference.objects.filter(organization=organization, ref=conf_ref).delete()
    return bool(deleted)


def conference_room(conference: Conference) -> RoomSpec:
    return RoomSpec(
        room_id=conference.room_id,
        title=conference.title,
        starts_at=conference.starts_at,
        ends_at=conference.ends_at,
    )


def is_moderator(*, conference: Conference, profile: Profile) -> bool:
    """The organizer, and the admins of the conference's chat (a class's teacher), moderate."""
    if conference.organizer_id == profile.pk:
        return True
    return bool(
        conference.chat_id
        and ChatMember.objects.filter(
            chat_id=conference.chat_id, profile_id=profile.pk, is_admin=True
        ).exists()
    )


def conference_join_url(*, conference: Conference, profile: Profile, now: dt.datetime | None = None) -> str:
    """The signed link into the conference's room for ``profile`` (a participant: checked by the caller,
    :func:`parta.messenger.queries_conferences.access_conference`). Raises
    :class:`~parta.messenger.video.VideoError` subclasses outside the window or when the engine fails."""
    who = Participant(
        user_id=str(profile.sub),
        full_name=profile.full_name,
        is_moderator=is_moderator(conference=conference, profile=profile),
    )
    return video_engine().join_url(room=conference_room(conference), participant=who, now=now or clock.now())
