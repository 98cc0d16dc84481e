"""``/dev/outbox/``: what the ID "sent", as HTML or, with ``?format=json&phone=+79…``, as JSON."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from parta.identity.models import DevMessage


def outbox(request: HttpRequest) -> HttpResponse:
    if not settings.PARTA_DEV_OUTBOX:
        raise Http404
    messages = DevMessage.objects.all()
    phone = request.GET.get("phone", "").strip().replace(" ", "+")
    if phone:
        messages = messages.filter(phone=phone)
    messages = messages[:200]
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "messages": [
                    {
                        "channel": m.channel,
                        "phone": m.phone,
                        "text": m.text,
                        "created_at": m.created_at.isoformat(),
                    }
                    for m in messages
                ]
            }
        )
    return render(request, "identity/dev_outbox.html", {"messages": messages, "phone": phone})
