"""«Контакты»: the people of one's schools, and writing to one of them (a direct chat)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from parta.messenger import queries
from parta.messenger.actions import MessengerError, direct_chat_open
from parta.messenger.types import Profile
from parta.messenger.views.common import page, profile_required


@require_GET
@profile_required
def people(request: HttpRequest, profile: Profile) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    found = queries.visible_people(viewer=profile, query=query)
    return page(
        request, "messenger/people.html", {"people": found, "query": query}, profile=profile, section="people"
    )


@require_POST
@profile_required
def person_write(request: HttpRequest, profile: Profile, profile_id: int) -> HttpResponse:
    other = queries.access_person(viewer=profile, profile_id=profile_id)
    try:
        chat = direct_chat_open(by=profile, other=other)
    except MessengerError as refused:
        flash.error(request, str(refused))
        return redirect("messenger:people")
    return redirect("messenger:chat", chat_id=chat.pk)
