"""``PUT /orgs/{org_ref}``: register or rename a school; ``GET /orgs/{org_ref}``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema, Status

from parta.messenger.actions import organization_register
from parta.messenger.api.auth import client_of
from parta.messenger.api.errors import ErrorOut, ValidationErrorOut
from parta.messenger.api.fields import Text
from parta.messenger.api.lookups import organization_of
from parta.messenger.models import Organization

router = Router(tags=["Организации"])


class OrgIn(Schema):
    name: Text = Field(
        ..., min_length=1, max_length=300, pattern=r"\S", description="Название школы, как его видят люди."
    )


class OrgOut(Schema):
    org_ref: str
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime


def org_out(organization: Organization) -> OrgOut:
    return OrgOut(
        org_ref=organization.ref,
        name=organization.name,
        created_at=organization.created_at,
        updated_at=organization.updated_at,
    )


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}


@router.put(
    "/orgs/{org_ref}",
    response={200: OrgOut, 201: OrgOut, **ERRORS},
    summary="Зарегистрировать или переименовать школу",
)
def org_put(request: Any, org_ref: Text, payload: OrgIn) -> Status[OrgOut]:
    """Idempotent: 201 when the school is new, 200 when it was already registered (renamed if the name
    differs)."""
    client = client_of(request)
    existed = Organization.objects.filter(client_id=client.id, ref=org_ref.strip()).exists()
    organization = organization_register(client_id=client.id, ref=org_ref, name=payload.name)
    return Status(200 if existed else 201, org_out(organization))


@router.get("/orgs/{org_ref}", response={200: OrgOut, 401: ErrorOut, 404: ErrorOut}, summary="Школа")
def org_get(request: Any, org_ref: Text) -> OrgOut:
    return org_out(organization_of(request, org_ref))
