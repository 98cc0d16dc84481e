"""``/links``: a journal's verified membership of an educational profile in one of its schools."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Path, Router, Schema, Status

from parta.identity.public import profile_by_sub
from parta.messenger.actions.links import LinkConflictError, link_delete, link_register
from parta.messenger.api.auth import client_of
from parta.messenger.api.errors import ConflictError, ErrorOut, NotFoundError, ValidationErrorOut
from parta.messenger.api.fields import Text
from parta.messenger.api.lookups import link_of, organization_of
from parta.messenger.models import Link

router = Router(tags=["Связи"])

LinkId = Path(..., ge=1, le=2**63 - 1, description="id связи")
RoleName = Literal["student", "parent", "teacher", "staff"]


class DisplayIn(Schema):
    """How the journal names the person (shown to the journal's own staff, not used by the messenger)."""

    first_name: Text = Field("", max_length=100)
    last_name: Text = Field("", max_length=100)
    middle_name: Text = Field("", max_length=100)
    position: Text = Field("", max_length=200, description="Должность или класс, как в журнале.")


class LinkIn(Schema):
    profile_sub: uuid.UUID = Field(..., description="sub учебного профиля (из OpenID Connect).")
    org_ref: Text = Field(..., min_length=1, max_length=200, pattern=r"\S")
    journal_account_ref: Text = Field(..., min_length=1, max_length=200, pattern=r"\S")
    roles: list[RoleName] = Field(..., min_length=1, max_length=4)
    display: DisplayIn | None = None


class LinkOut(Schema):
    id: int
    profile_sub: uuid.UUID
    org_ref: str
    journal_account_ref: str
    roles: list[str]
    display: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


def link_out(link: Link) -> LinkOut:
    return LinkOut(
        id=link.pk,
        profile_sub=link.profile_sub,
        org_ref=link.organization.ref,
        journal_account_ref=link.journal_account_ref,
        roles=list(link.roles),
        display=dict(link.display),
        created_at=link.created_at,
        updated_at=link.updated_at,
    )


@router.post(
    "/links",
    response={
        200: LinkOut,
        201: LinkOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Подтвердить связь профиля с учётной записью журнала",
)
def link_post(request: Any, payload: LinkIn) -> Status[LinkOut]:
    """201 with a new link; 200 with the same link when it already exists (roles and display updated);
    409 when the journal account or the profile is already linked otherwise."""
    organization = organization_of(request, payload.org_ref)
    profile = profile_by_sub(payload.profile_sub)
    if profile is None:
        raise NotFoundError("Учебный профиль с таким profile_sub не найден.")
    display = {k: v for k, v in (payload.display.dict() if payload.display else {}).items() if v}
    try:
        link, created = link_register(
            organization=organization,
            profile=profile,
            journal_account_ref=payload.journal_account_ref,
            roles=payload.roles,
            display=display,
        )
    except LinkConflictError as error:
        raise ConflictError(str(error)) from None
    return Status(201 if created else 200, link_out(link))


@router.get(
    "/links", response={200: list[LinkOut], 401: ErrorOut, 422: ValidationErrorOut}, summary="Связи журнала"
)
def link_list(
    request: Any,
    journal_account_ref: Text | None = None,
    profile_sub: uuid.UUID | None = None,
    org_ref: Text | None = None,
) -> list[LinkOut]:
    """The journal's links, filtered by any of the parameters (at most 1000, oldest first)."""
    links = Link.objects.select_related("organization").filter(client_id=client_of(request).id)
    if journal_account_ref is not None:
        links = links.filter(journal_account_ref=journal_account_ref)
    if profile_sub is not None:
        links = links.filter(profile_sub=profile_sub)
    if org_ref is not None:
        links = links.filter(organization__ref=org_ref)
    return [link_out(link) for link in links.order_by("pk")[:1000]]


@router.get(
    "/links/{link_id}",
    response={200: LinkOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Связь",
)
def link_get(request: Any, link_id: int = LinkId) -> LinkOut:
    return link_out(link_of(request, link_id))


@router.delete(
    "/links/{link_id}",
    response={204: None, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Удалить связь",
)
def link_del(request: Any, link_id: int = LinkId) -> Status[None]:
    """The membership ends and the profile leaves the organization's chats. No ``link.deleted`` webhook
    is sent for the journal's own DELETE. Deleting again answers 404."""
    link_delete(link=link_of(request, link_id), notify=False)
    return Status(204, None)
