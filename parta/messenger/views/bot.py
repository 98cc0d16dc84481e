"""The bot's buttons: pressing one posts its callback token here.

No CSRF token is asked for: the callback token is itself an unguessable secret that only the page of
the request's own profile has, and :func:`~parta.messenger.actions.bot.bot_answer` accepts it only from
that profile's session — a forged cross-site POST cannot know it. (The message is also rendered for the
WebSocket, where no CSRF token can be put into the form.)
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from parta.messenger.actions import MessengerError, community_chat_of
from parta.messenger.actions.bot import bot_answer
from parta.messenger.events import message_payload
from parta.messenger.types import Profile
from parta.messenger.views.common import profile_required, wants_json


@csrf_exempt
@require_POST
@profile_required
def answer(request: HttpRequest, profile: Profile) -> HttpResponse:
    try:
        answered = bot_answer(profile=profile, token=request.POST.get("token", ""))
    except MessengerError as refused:
        if wants_json(request):
            return JsonResponse({"error": str(refused)}, status=400)
        flash.error(request, str(refused))
        return redirect("messenger:chat", chat_id=community_chat_of(profile=profile).pk)
    message = answered.request.message
    if wants_json(request):
        return JsonResponse({"acted": answered.acted, "message": message_payload(message)})
    return HttpResponseRedirect(f"{reverse('messenger:chat', args=[message.chat_id])}#m{message.pk}")
