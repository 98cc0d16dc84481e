"""Plain pages of the ID: the agreement and the privacy policy."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from parta.identity.views.state import SigninFlow, screen


@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    return screen(request, "identity/terms.html", {}, flow=SigninFlow.load(request))


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return screen(request, "identity/privacy.html", {}, flow=SigninFlow.load(request))
