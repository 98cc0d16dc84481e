"""What every messenger page shares: the signed-in profile, and the page's frame."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from parta.messenger import conf, queries
from parta.messenger.types import Profile

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, Profile, P], HttpResponseBase]


def profile_required(view: View[P]) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Signed in through the ID (else to ``LOGIN_URL``, the ID's «Вход»), with an educational profile
    (else the page that sends the person to create one). The view receives the profile second."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        profile = queries.profile_of(account_id=request.user.pk)
        if profile is None:
            return page(request, "messenger/no_profile.html", {}, profile=None)
        return view(request, profile, *args, **kwargs)

    return wrapper


def is_partial(request: HttpRequest) -> bool:
    """A request of the page's own script (or htmx) for a fragment rather than the whole page."""
    return request.headers.get("X-Parta-Partial") == "1" or request.headers.get("HX-Request") == "true"


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    profile: Profile | None,
    status: int = 200,
    section: str = "",
) -> HttpResponse:
    frame = {
        "platform_name": conf.platform_name(),
        "messenger_name": conf.messenger_name(),
        "profile": profile,
        "section": section,
    }
    return render(request, template, {**frame, **context}, status=status)
