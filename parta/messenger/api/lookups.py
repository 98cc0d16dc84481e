"""Reads the API's operations share: the calling journal's organization by its ``org_ref``, a link."""

from __future__ import annotations

from typing import Any

from parta.messenger.api.auth import client_of
from parta.messenger.api.errors import NotFoundError
from parta.messenger.models import Link, Organization


def organization_of(request: Any, org_ref: str) -> Organization:
    """The calling journal's organization ``org_ref``; another journal's is simply not found (404)."""
    organization = Organization.objects.filter(client_id=client_of(request).id, ref=org_ref).first()
    if organization is None:
        raise NotFoundError(f"Организация «{org_ref}» не зарегистрирована этим журналом.")
    return organization


def link_of(request: Any, link_id: int) -> Link:
    link = (
        Link.objects.select_related("organization")
        .filter(client_id=client_of(request).id, pk=link_id)
        .first()
    )
    if link is None:
        raise NotFoundError(f"Связь № {link_id} не найдена.")
    return link
