"""Video conferences: ``PUT``/``DELETE /orgs/{org_ref}/conferences/{conf_ref}``, many at once with
``POST /orgs/{org_ref}/conferences:sync`` (a school's online lessons), and a profile's list,
``GET /profiles/{sub}/conferences`` (the journal's «Видеоконференции» tab, manual 003)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.conf import settings
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from parta.messenger.actions.conferences import (
    ConferenceSpec,
    conference_delete,
    conference_put,
    conferences_sync,
)
from parta.messenger.actions.link_requests import OrganizationNotFoundError
from parta.messenger.api.auth import client_of
from parta.messenger.api.errors import ErrorOut, NotFoundError, ValidationErrorOut
from parta.messenger.api.fields import Moment, Text
from parta.messenger.api.lookups import organization_of
from parta.messenger.models import Conference, Link
from parta.messenger.queries_conferences import ConferenceRow, conferences_of

router = Router(tags=["Видеоконференции"])

Kind = Literal["lesson", "meeting", "other"]
MAX_CONFERENCES = 1000


class ConferenceIn(Schema):
    title: Text = Field(..., min_length=1, max_length=200)
    kind: Kind = Field("lesson", description="lesson («Онлайн-урок»), meeting («Встреча»), other («Другое»)")
    start: Moment = Field(..., description="Начало, с часовым поясом: 2026-09-01T09:00:00+03:00")
    end: Moment = Field(..., description="Окончание, с часовым поясом")
    group_ref: Text | None = Field(None, max_length=200, description="Группа журнала: участники — её чат.")
    participants: list[uuid.UUID] = Field(default_factory=list, max_length=5000, description="sub профилей.")
    organizer: uuid.UUID | None = Field(None, description="sub организатора (подключается модератором).")


class ConferenceOut(Schema):
    conf_ref: str
    org_ref: str
    title: str
    kind: str
    kind_label: str
    start: dt.datetime
    end: dt.datetime
    join_open: bool = Field(description="Подключиться можно сейчас.")
    join_url: str | None = Field(description="Адрес «Подключиться» — только когда join_open.")


def _absolute(request: Any, path: str) -> str:
    base = getattr(settings, "PARTA_MESSENGER_PUBLIC_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def _out(request: Any, conference: Conference, row: ConferenceRow | None = None) -> ConferenceOut:
    open_now = bool(row and row.join_open)
    return ConferenceOut(
        conf_ref=conference.ref,
        org_ref=conference.organization.ref,
        title=conference.title,
        kind=conference.kind,
        kind_label=conference.get_kind_display(),
        start=conference.starts_at,
        end=conference.ends_at,
        join_open=open_now,
        join_url=_absolute(request, reverse("messenger:conference-join", args=[conference.uuid]))
        if open_now
        else None,
    )


@router.put(
    "/orgs/{org_ref}/conferences/{conf_ref}",
    response={
        200: ConferenceOut,
        201: ConferenceOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Создать или изменить видеоконференцию",
)
def conference_upsert(
    request: Any, org_ref: Text, conf_ref: Text, payload: ConferenceIn
) -> Status[ConferenceOut]:
    """201 when created, 200 when it existed (updated to the body: the same body twice changes nothing)."""
    try:
        conference, created = conference_put(
            client_id=client_of(request).id,
            org_ref=org_ref,
            conf_ref=conf_ref,
            title=payload.title,
            kind=payload.kind,
            starts_at=payload.start,
            ends_at=payload.end,
            group_ref=payload.group_ref,
            participants=payload.participants,
            organizer=payload.organizer,
        )
    except OrganizationNotFoundError:
        raise NotFoundError(f"Организация «{org_ref}» не зарегистрирована этим журналом.") from None
    return Status(201 if created else 200, _out(request, conference))


class ConferenceItemIn(ConferenceIn):
    conf_ref: Text = Field(..., min_length=1, max_length=200, pattern=r"\S")


class ConferencesSyncIn(Schema):
    put: list[ConferenceItemIn] = Field(
        default_factory=list, max_length=MAX_CONFERENCES, description="Создать или изменить."
    )
    delete: list[Text] = Field(
        default_factory=list,
        max_length=MAX_CONFERENCES,
        description="conf_ref видеоконференций, которые удалить.",
    )


class ConferenceResultOut(Schema):
    conf_ref: str
    status: Literal["created", "updated", "unchanged", "deleted", "absent", "refused"]
    error: str = Field("", description="Почему видеоконференция не создана (refused); остальные применены.")


class ConferencesSyncOut(Schema):
    results: list[ConferenceResultOut]


@router.post(
    "/orgs/{org_ref}/conferences:sync",
    response={200: ConferencesSyncOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Создать, изменить и удалить много видеоконференций сразу",
)
def conferences_sync_post(request: Any, org_ref: Text, payload: ConferencesSyncIn) -> ConferencesSyncOut:
    """Set-wise and idempotent (the same batch twice answers ``unchanged`` and ``absent``). One result per
    item, those of ``put`` first, in order; a conference that cannot be made is ``refused`` with its
    reason, and the rest are applied."""
    organization = organization_of(request, org_ref)
    specs = [
        ConferenceSpec(
            conf_ref=item.conf_ref,
            title=item.title,
            kind=item.kind,
            starts_at=item.start,
            ends_at=item.end,
            group_ref=item.group_ref,
            participants=tuple(str(sub) for sub in item.participants),
            organizer=str(item.organizer) if item.organizer else None,
        )
        for item in payload.put
    ]
    outcomes = conferences_sync(organization=organization, put=specs, delete=payload.delete)
    return ConferencesSyncOut(
        results=[ConferenceResultOut(conf_ref=o.conf_ref, status=o.status, error=o.error) for o in outcomes]  # type: ignore[arg-type]
    )


@router.delete(
    "/orgs/{org_ref}/conferences/{conf_ref}",
    response={204: None, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Удалить видеоконференцию",
)
def conference_remove(request: Any, org_ref: Text, conf_ref: Text) -> Status[None]:
    """204 whether it existed or not (deleting twice is no error); 404 for an unknown organization."""
    try:
        conference_delete(client_id=client_of(request).id, org_ref=org_ref, conf_ref=conf_ref)
    except OrganizationNotFoundError:
        raise NotFoundError(f"Организация «{org_ref}» не зарегистрирована этим журналом.") from None
    return Status(204, None)


@router.get(
    "/profiles/{sub}/conferences",
    response={200: list[ConferenceOut], 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Видеоконференции профиля в школах журнала",
)
def profile_conferences(request: Any, sub: uuid.UUID) -> list[ConferenceOut]:
    """The profile's conferences in the journal's organizations, open and coming first, then those that
    ended within a week. 404 when the profile has no link with this journal."""
    client_id = client_of(request).id
    profile_id = (
        Link.objects.filter(client_id=client_id, profile_sub=sub).values_list("profile_id", flat=True).first()
    )
    if profile_id is None:
        raise NotFoundError("Учебный профиль не связан с этим журналом.")
    rows = conferences_of(profile_id=profile_id, client_id=client_id)
    return [_out(request, row.conference, row) for row in rows]
