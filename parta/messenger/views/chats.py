"""«Чаты»: the list, a chat with its history, composer and members, sending, read markers, files."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parta.messenger import conf, queries
from parta.messenger.actions import (
    MessengerError,
    chat_create,
    community_chat_of,
    message_read,
    message_send,
)
from parta.messenger.events import message_payload
from parta.messenger.models import GROUP_KINDS, Chat, ChatKind
from parta.messenger.types import Profile
from parta.messenger.views.common import is_partial, page, profile_required, wants_json


@require_GET
@profile_required
def chat_list(request: HttpRequest, profile: Profile) -> HttpResponse:
    community_chat_of(profile=profile)  # every profile has its «Сферум» chat (created on first visit)
    rows = queries.chat_list(profile=profile)
    return page(
        request,
        "messenger/chat_list.html",
        {"rows": rows, "can_create": bool(queries.organizations_for_chat_creation(profile=profile))},
        profile=profile,
        section="chats",
    )


def _chat_context(
    request: HttpRequest, profile: Profile, chat: Chat, *, before: int | None, read_before: int
) -> dict[str, object]:
    # Before the history is read: what changes after it reaches the page live or on its reconnect.
    rendered_at = timezone.now().isoformat()
    history = queries.chat_history(chat=chat, before=before)
    members = queries.chat_members(chat=chat)
    return {
        "rendered_at": rendered_at,
        "chat": chat,
        "title": queries.chat_title(chat=chat, viewer=profile),
        "history": history,
        "before": before,
        "read_up_to": queries.chat_read_up_to(chat=chat, profile=profile),
        "first_unread_after": read_before,
        "members": members,
        "me": next((m for m in members if m.profile_id == profile.pk), None),
        "can_write": not chat.is_archived and chat.kind != ChatKind.COMMUNITY,
        "max_bytes": conf.attachment_max_bytes(),
        "max_length": conf.message_max_length(),
        "accept": ",".join(f".{extension}" for extension in sorted(conf.attachment_types())),
        "rows": queries.chat_list(profile=profile),
    }


@require_GET
@profile_required
def chat_view(request: HttpRequest, profile: Profile, chat_id: int) -> HttpResponse:
    chat = queries.access_chat(profile=profile, chat_id=chat_id)
    before = int(request.GET["before"]) if request.GET.get("before", "").isdigit() else None
    if before is not None and is_partial(request):
        history = queries.chat_history(chat=chat, before=before)
        return page(
            request,
            "messenger/chat.html#history",
            {
                "chat": chat,
                "history": history,
                "read_up_to": queries.chat_read_up_to(chat=chat, profile=profile),
            },
            profile=profile,
        )
    read_before = queries.chat_member(chat=chat, profile=profile).last_read_id
    if before is None and chat.last_message_id:
        message_read(chat=chat, profile=profile, up_to=chat.last_message_id)  # opening a chat reads it
    context = _chat_context(request, profile, chat, before=before, read_before=read_before)
    return page(request, "messenger/chat.html", context, profile=profile, section="chats")


@require_POST
@profile_required
def chat_send(request: HttpRequest, profile: Profile, chat_id: int) -> HttpResponse:
    chat = queries.access_chat(profile=profile, chat_id=chat_id)
    try:
        message = message_send(
            chat=chat,
            author=profile,
            text=request.POST.get("text", ""),
            attachment=request.FILES.get("file"),
            client_key=request.POST.get("client_key", ""),
        )
    except MessengerError as refused:
        if wants_json(request):
            return JsonResponse({"error": str(refused)}, status=400)
        context = _chat_context(request, profile, chat, before=None, read_before=0)
        context.update(error=str(refused), draft=request.POST.get("text", ""))
        return page(request, "messenger/chat.html", context, profile=profile, status=400, section="chats")
    if wants_json(request):
        return JsonResponse({"message": message_payload(message)})
    return HttpResponseRedirect(f"{reverse('messenger:chat', args=[chat.pk])}#m{message.pk}")


@require_POST
@profile_required
def chat_read(request: HttpRequest, profile: Profile, chat_id: int) -> HttpResponse:
    chat = queries.access_chat(profile=profile, chat_id=chat_id)
    up_to = request.POST.get("up_to", "")
    marker = message_read(chat=chat, profile=profile, up_to=int(up_to) if up_to.isdigit() else 0)
    return JsonResponse({"last_read_id": marker})


@require_GET
@profile_required
def attachment_file(request: HttpRequest, profile: Profile, chat_id: int, attachment_id: int) -> FileResponse:
    attachment = queries.access_attachment(profile=profile, chat_id=chat_id, attachment_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except OSError:  # the row outlived its file (storage restored from an older copy): nothing to send
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.name,
    )
    # The file is the sender's: it never runs as a page of the platform, and is not guessed at.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_http_methods(["GET", "POST"])
@profile_required
def chat_new(request: HttpRequest, profile: Profile) -> HttpResponse:
    """«Новый чат»: a teacher or staff member creates a chat of one of the school's kinds with people of
    the school (the chats of the journal's groups come from the journal itself)."""
    organizations = queries.organizations_for_chat_creation(profile=profile)
    if not organizations:
        flash.error(request, "Создавать чаты могут учителя и сотрудники школы.")
        return redirect("messenger:chats")
    chosen = request.POST.get("organization") or request.GET.get("organization") or ""
    organization = next((o for o in organizations if str(o.pk) == chosen), organizations[0])
    query = request.GET.get("q", "").strip()[:100]
    kind = request.POST.get("kind") or ChatKind.OTHER
    error = ""
    if request.method == "POST":
        try:
            chat = chat_create(
                organization=organization,
                kind=kind,
                title=request.POST.get("title", ""),
                created_by=profile,
                members=[int(v) for v in request.POST.getlist("members") if v.isdigit()],
            )
        except MessengerError as refused:
            error = str(refused)
        else:
            return redirect("messenger:chat", chat_id=chat.pk)
    people = queries.visible_people(viewer=profile, query=query, organization_id=organization.pk, limit=200)
    return page(
        request,
        "messenger/chat_new.html",
        {
            "organizations": organizations,
            "organization": organization,
            "kinds": [(value, label) for value, label in ChatKind.choices if value in GROUP_KINDS],
            "kind": kind,
            "people": people,
            "query": query,
            "error": error,
            "title_value": request.POST.get("title", ""),
            "checked": set(request.POST.getlist("members")),
        },
        profile=profile,
        status=400 if error else 200,
        section="chats",
    )
