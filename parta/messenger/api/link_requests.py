"""``/link-requests`` (manual 003): the journal asks the owner of a phone, through the community bot, to
link their educational profile; the answer comes by webhook and by ``GET``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Router, Schema, Status

from parta.messenger.actions.link_requests import (
    OrganizationNotFoundError,
    link_request_create,
    link_requests_expire,
)
from parta.messenger.api.auth import client_of
from parta.messenger.api.errors import ErrorOut, NotFoundError, ValidationErrorOut
from parta.messenger.api.fields import Text
from parta.messenger.models import LinkRequest

router = Router(tags=["Запросы на привязку"])

RoleName = Literal["student", "parent", "teacher", "staff"]
State = Literal["pending", "confirmed", "declined", "expired", "no_account"]


class LinkRequestIn(Schema):
    phone: Text = Field(
        ..., min_length=1, max_length=32, description="Телефон: +7 (9XX) XXX-XX-XX или +79XXXXXXXXX."
    )
    org_ref: Text = Field(..., min_length=1, max_length=200)
    journal_account_ref: Text = Field(..., min_length=1, max_length=200)
    name: Text = Field(
        ..., min_length=1, max_length=300, description="Как журнал называет человека (показывается ему)."
    )
    roles: list[RoleName] = Field(..., min_length=1, max_length=4)


class LinkRequestOut(Schema):
    id: uuid.UUID
    state: State = Field(description="pending, confirmed, declined, expired, no_account")
    phone: str
    org_ref: str
    journal_account_ref: str
    name: str
    roles: list[str]
    profile_sub: uuid.UUID | None = Field(description="sub учебного профиля — после «Подключить».")
    link_id: int | None = Field(description="id связи (как в /links) — после «Подключить».")
    created_at: dt.datetime
    expires_at: dt.datetime
    decided_at: dt.datetime | None


def _out(link_request: LinkRequest) -> LinkRequestOut:
    confirmed = link_request.state == "confirmed"
    return LinkRequestOut(
        id=link_request.uuid,
        state=link_request.state,  # type: ignore[arg-type]  # one of State: the model's choices
        phone=link_request.phone,
        org_ref=link_request.organization.ref,
        journal_account_ref=link_request.journal_account_ref,
        name=link_request.name,
        roles=list(link_request.roles),
        profile_sub=link_request.profile.sub if confirmed and link_request.profile is not None else None,
        link_id=link_request.link_id if confirmed else None,
        created_at=link_request.created_at,
        expires_at=link_request.expires_at,
        decided_at=link_request.decided_at,
    )


@router.post(
    "/link-requests",
    response={
        200: LinkRequestOut,
        201: LinkRequestOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Попросить владельца телефона подтвердить привязку в мессенджере",
)
def link_request_post(request: Any, payload: LinkRequestIn) -> Status[LinkRequestOut]:
    """201: the bot has asked (``pending``), or nobody could be asked (``no_account``). 200: the same
    question is already waiting for an answer — that request is returned and nobody is asked twice."""
    try:
        link_request, created = link_request_create(
            client_id=client_of(request).id,
            org_ref=payload.org_ref,
            phone=payload.phone,
            journal_account_ref=payload.journal_account_ref,
            name=payload.name,
            roles=payload.roles,
        )
    except OrganizationNotFoundError:
        raise NotFoundError(f"Организация «{payload.org_ref}» не зарегистрирована этим журналом.") from None
    return Status(201 if created else 200, _out(link_request))


@router.get(
    "/link-requests/{request_id}",
    response={200: LinkRequestOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Состояние запроса на привязку",
)
def link_request_get(request: Any, request_id: uuid.UUID) -> LinkRequestOut:
    link_requests_expire()
    link_request = (
        LinkRequest.objects.select_related("organization", "profile")
        .filter(uuid=request_id, organization__client_id=client_of(request).id)
        .first()
    )
    if link_request is None:
        raise NotFoundError("Запрос на привязку не найден.")
    return _out(link_request)
