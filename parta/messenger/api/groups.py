"""``POST /orgs/{org_ref}/groups:sync`` and ``GET /orgs/{org_ref}/groups/{group_ref}``: the journal's
groups as managed chats (:mod:`parta.messenger.actions.groups`)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from ninja import Field, Router, Schema
from pydantic import ConfigDict

from parta.messenger.actions.groups import KIND_NAMES, GroupDelta, GroupState, groups_sync
from parta.messenger.api.errors import ErrorOut, NotFoundError, ValidationErrorOut
from parta.messenger.api.fields import Text
from parta.messenger.api.lookups import organization_of
from parta.messenger.models import Chat, ChatKind, ChatMember

router = Router(tags=["Группы"])

MAX_BATCH = 5000
MAX_MEMBERS = 10_000
Sub = str  # a profile's sub; unknown or malformed ones are reported per group, not refused
GroupRef = Field(..., min_length=1, max_length=200, pattern=r"\S")


class GroupStateIn(Schema):
    """The whole group: the chat is created if new, renamed, archived; members and admins become exactly
    these (admins are members too)."""

    model_config = ConfigDict(extra="forbid")

    group_ref: Text = GroupRef
    kind: Literal["class", "parents", "staff", "subject", "other"]
    title: Text = Field(..., min_length=1, max_length=200, pattern=r"\S")
    subject: Text = Field("", max_length=200)
    members: list[Sub] = Field(default_factory=list, max_length=MAX_MEMBERS)
    admins: list[Sub] = Field(default_factory=list, max_length=MAX_MEMBERS)
    archived: bool = False


class GroupDeltaIn(Schema):
    """Changes to an existing group's members and admins (an admin added is a member too), and perhaps
    its title."""

    model_config = ConfigDict(extra="forbid")

    group_ref: Text = GroupRef
    add: list[Sub] = Field(default_factory=list, max_length=MAX_MEMBERS)
    remove: list[Sub] = Field(default_factory=list, max_length=MAX_MEMBERS)
    admins_add: list[Sub] = Field(default_factory=list, max_length=MAX_MEMBERS)
    admins_remove: list[Sub] = Field(default_factory=list, max_length=MAX_MEMBERS)
    title: Text | None = Field(
        None,
        min_length=1,
        max_length=200,
        pattern=r"\S",
        description="Новое название чата: переименование без передачи всего состава (смена учебного года).",
    )


class SyncIn(Schema):
    groups: list[GroupStateIn | GroupDeltaIn] = Field(..., max_length=MAX_BATCH)


class GroupResultOut(Schema):
    group_ref: str
    chat_id: int | None
    added: int
    removed: int
    admins_changed: int
    created: bool
    renamed: bool
    archived: bool | None = Field(None, description="Новое состояние архива, если оно изменилось.")
    unknown: list[str] = Field(description="Участники, не связанные с организацией: пропущены.")
    error: str = Field("", description="Почему группа не применена (остальные применены).")


class SyncOut(Schema):
    groups: list[GroupResultOut]
    added: int
    removed: int
    admins_changed: int


class GroupOut(Schema):
    group_ref: str
    chat_id: int
    kind: str
    title: str
    subject: str
    archived: bool
    members: list[uuid.UUID]
    admins: list[uuid.UUID]


@router.post(
    "/orgs/{org_ref}/groups:sync",
    response={200: SyncOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut},
    summary="Синхронизировать группы (управляемые чаты)",
)
def groups_sync_post(request: Any, org_ref: Text, payload: SyncIn) -> SyncOut:
    """Set-wise and idempotent: the same batch twice changes nothing the second time."""
    organization = organization_of(request, org_ref)
    items: list[GroupState | GroupDelta] = []
    for group in payload.groups:
        if isinstance(group, GroupStateIn):
            items.append(
                GroupState(
                    group_ref=group.group_ref,
                    kind=group.kind,
                    title=group.title,
                    subject=group.subject,
                    members=group.members,
                    admins=group.admins,
                    archived=group.archived,
                )
            )
        else:
            items.append(
                GroupDelta(
                    group_ref=group.group_ref,
                    add=group.add,
                    remove=group.remove,
                    admins_add=group.admins_add,
                    admins_remove=group.admins_remove,
                    title=group.title,
                )
            )
    results = groups_sync(organization=organization, items=items)
    return SyncOut(
        groups=[GroupResultOut(**result.__dict__) for result in results],
        added=sum(r.added for r in results),
        removed=sum(r.removed for r in results),
        admins_changed=sum(r.admins_changed for r in results),
    )


@router.get(
    "/orgs/{org_ref}/groups/{group_ref}",
    response={200: GroupOut, 401: ErrorOut, 404: ErrorOut},
    summary="Группа: чат и его участники",
)
def group_get(request: Any, org_ref: Text, group_ref: Text) -> GroupOut:
    organization = organization_of(request, org_ref)
    chat = Chat.objects.filter(organization=organization, managed_ref=group_ref).first()
    if chat is None:
        raise NotFoundError(f"Группа «{group_ref}» не найдена.")
    rows = (
        ChatMember.objects.filter(chat=chat)
        .order_by("joined_at", "profile_id")  # in the order they joined
        .values_list("profile__sub", "is_admin")
    )
    return GroupOut(
        group_ref=group_ref,
        chat_id=chat.pk,
        kind=KIND_NAMES.get(ChatKind(chat.kind), "other"),
        title=chat.title,
        subject=chat.subject,
        archived=chat.is_archived,
        members=[sub for sub, _ in rows],
        admins=[sub for sub, is_admin in rows if is_admin],
    )
