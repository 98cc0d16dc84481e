"""``GET /profiles/{sub}/chats``: a linked profile's chats in the journal's schools (its «Сферум» section)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from ninja import Field, Router, Schema

from parta.messenger.api.auth import client_of
from parta.messenger.api.errors import ErrorOut, NotFoundError, ValidationErrorOut
from parta.messenger.api.fields import Text
from parta.messenger.models import Chat, ChatKind, ChatMember, Link

router = Router(tags=["Профили"])


class ChatOut(Schema):
    id: int
    org_ref: str
    name: str
    kind: str = Field(description="class, parents, staff_room, subject, other, direct")
    kind_label: str = Field(description="Как вид чата называется на экранах: «Классный чат», …")
    member_count: int
    admin_name: str = Field(description="Имя первого администратора чата; пусто, если его нет.")
    subject: str
    archived: bool
    managed: bool = Field(description="Чатом управляет журнал (группа журнала).")
    group_ref: str | None
    url: str = Field(description="Абсолютный адрес страницы чата в мессенджере.")


def _absolute(request: Any, path: str) -> str:
    base = getattr(settings, "PARTA_MESSENGER_PUBLIC_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


@router.get(
    "/profiles/{sub}/chats",
    response={200: list[ChatOut], 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Чаты профиля в школах журнала",
)
def profile_chats(request: Any, sub: uuid.UUID, org_ref: Text | None = None) -> list[ChatOut]:
    """The chats the profile is a member of in the journal's organizations (``org_ref``: only that one),
    group chats first, then by name. Direct chats are not listed. 404 when the profile has no link with
    this journal (or none in ``org_ref``)."""
    links = Link.objects.filter(client_id=client_of(request).id, profile_sub=sub)
    if org_ref is not None:
        links = links.filter(organization__ref=org_ref)
    link_rows = list(links.values_list("profile_id", "organization_id", "organization__ref"))
    if not link_rows:
        raise NotFoundError(
            "Учебный профиль не связан с этим журналом" + (f" в организации «{org_ref}»." if org_ref else ".")
        )
    profile_id = link_rows[0][0]
    org_refs = {org_id: ref for _, org_id, ref in link_rows}
    chats = list(
        Chat.objects.filter(
            organization_id__in=org_refs,
            pk__in=ChatMember.objects.filter(profile_id=profile_id).values("chat_id"),
        )
        .exclude(kind=ChatKind.DIRECT)
        .annotate(member_count=Count("members__profile_id", distinct=True))
        .order_by("is_archived", "title", "pk")
    )
    admins: dict[int, str] = {}
    for chat_id, last, first, middle in (
        ChatMember.objects.filter(chat_id__in=[c.pk for c in chats], is_admin=True)
        .order_by("chat_id", "joined_at", "profile_id")  # the first admin to join
        .values_list("chat_id", "profile__last_name", "profile__first_name", "profile__middle_name")
    ):
        admins.setdefault(chat_id, " ".join(part for part in (last, first, middle) if part))
    return [
        ChatOut(
            id=chat.pk,
            org_ref=org_refs.get(chat.organization_id or 0, ""),
            name=str(chat),
            kind=chat.kind,
            kind_label=str(chat.get_kind_display()),
            member_count=getattr(chat, "member_count", 0),
            admin_name=admins.get(chat.pk, ""),
            subject=chat.subject,
            archived=chat.is_archived,
            managed=chat.is_managed,
            group_ref=chat.managed_ref,
            url=_absolute(request, reverse("messenger:chat", args=[chat.pk])),
        )
        for chat in chats
    ]
