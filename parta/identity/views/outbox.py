"""``/dev/outbox/``: what the ID "sent", as HTML or, with ``?format=json&phone=+79…``, as JSON.

The JSON is a list, newest first: ``[{"id", "channel": "sms|call|push|email", "to", "text", "code",
"caller_number", "created_at"}]``. The page exists only when ``PARTA_DEV_OUTBOX=1``.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from parta.identity.models import DevMessage


@never_cache
def outbox(request: HttpRequest) -> HttpResponse:
    if not settings.PARTA_DEV_OUTBOX:
        raise Http404
    messages = DevMessage.objects.order_by("-id")
    # A «+» in a query string arrives as a space: «?phone=+79…» means «+79…».
    phone = request.GET.get("phone", "").replace(" ", "+").strip()
    if phone:
        messages = messages.filter(Q(phone=phone) | Q(to=phone))
    channel = request.GET.get("channel", "").strip()
    if channel:
        messages = messages.filter(channel=channel)
    messages = messages[:200]
    if request.GET.get("format") == "json":
        return JsonResponse(
            [
                {
                    "id": m.pk,
                    "channel": m.channel,
                    "to": m.to or m.phone,
                    "text": m.text,
                    "code": m.code,
                    "caller_number": m.caller_number,
                    "created_at": m.created_at.isoformat(),
                }
                for m in messages
            ],
            safe=False,
            json_dumps_params={"ensure_ascii": False},
        )
    return render(request, "identity/dev_outbox.html", {"messages": messages, "phone": phone})
