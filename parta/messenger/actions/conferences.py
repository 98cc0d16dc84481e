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
from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from parta.core import clock
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
    member of the organization. Returns the conference and whether it is new.
    """
    organization = _organization(client_id=client_id, org_ref=org_ref)
    conf_ref = conf_ref.strip()
    if not conf_ref or len(conf_ref) > REF_MAX_LENGTH:
        raise MessengerError("Идентификатор видеоконференции: от 1 до 200 символов.")
    title = " ".join(title.split())
    if not title:
        raise MessengerError("Введите название видеоконференции.")
    if len(title) > TITLE_MAX_LENGTH:
        raise MessengerError(f"Название видеоконференции — не больше {TITLE_MAX_LENGTH} символов.")
    if kind not in ConferenceKind.values:
        raise MessengerError(
            "Тип видеоконференции: lesson («Онлайн-урок»), meeting («Встреча») или other («Другое»)."
        )
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise MessengerError(
            "Укажите начало и окончание с часовым поясом (например, 2026-09-01T09:00:00+03:00)."
        )
    if ends_at <= starts_at:
        raise MessengerError("Окончание видеоконференции должно быть позже её начала.")
    if ends_at - starts_at > LONGEST:
        raise MessengerError("Видеоконференция не может длиться дольше суток.")
    chat_id = None
    if group_ref:
        chat_id = (
            Chat.objects.filter(organization=organization, managed_ref=group_ref)
            .values_list("pk", flat=True)
            .first()
        )
        if chat_id is None:
            raise MessengerError(f"Группа «{group_ref}» не найдена в этой организации.")
    listed = {str(sub) for sub in participants}
    named = listed | ({str(organizer)} if organizer else set())
    found = _members_by_sub(organization, named)
    missing = named - found.keys()
    if missing:
        raise MessengerError(
            "Участниками могут быть только участники организации: "
            f"{len(missing)} из указанных профилей в неё не входят."
        )
    values = {
        "title": title,
        "kind": kind,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "chat_id": chat_id,
        "organizer_id": found[str(organizer)] if organizer else None,
    }
    with transaction.atomic():
        conference = (
            Conference.objects.select_for_update().filter(organization=organization, ref=conf_ref).first()
        )
        created = conference is None
        if conference is None:
            conference = Conference.objects.create(organization=organization, ref=conf_ref, **values)
        else:
            changed = [field for field, value in values.items() if getattr(conference, field) != value]
            if changed:
                for field in changed:
                    setattr(conference, field, values[field])
                conference.updated_at = timezone.now()
                conference.save(update_fields=[*changed, "updated_at"])
        wanted = {found[sub] for sub in listed}
        current = set(
            ConferenceParticipant.objects.filter(conference=conference).values_list("profile_id", flat=True)
        )
        if current - wanted:
            ConferenceParticipant.objects.filter(
                conference=conference, profile_id__in=current - wanted
            ).delete()
        if wanted - current:
            ConferenceParticipant.objects.bulk_create(
                [
                    ConferenceParticipant(conference=conference, profile_id=pid)
                    for pid in sorted(wanted - current)
                ]
            )
    return conference, created


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
