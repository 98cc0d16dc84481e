"""«Звонки»: the profile's video conferences, and joining one («Подключиться»)."""

from __future__ import annotations

import logging
from uuid import UUID

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_GET

from parta.messenger import queries_conferences
from parta.messenger.actions.conferences import conference_join_url
from parta.messenger.types import Profile
from parta.messenger.video import JoinNotOpenError, VideoEngineError, VideoError
from parta.messenger.views.common import page, profile_required

logger = logging.getLogger("parta.messenger.video")


def _calls_page(
    request: HttpRequest, profile: Profile, *, error: str = "", status: int = 200
) -> HttpResponse:
    rows = queries_conferences.conferences_of(profile_id=int(profile.pk))
    return page(
        request,
        "messenger/calls.html",
        {"conferences": rows, "error": error},
        profile=profile,
        section="calls",
        status=status,
    )


@require_GET
@profile_required
def calls(request: HttpRequest, profile: Profile) -> HttpResponse:
    return _calls_page(request, profile)


@require_GET
@profile_required
def join(request: HttpRequest, profile: Profile, conference_uuid: UUID) -> HttpResponse:
    """Mint the signed link now and go there; outside the window say when it opens (the server decides)."""
    conference = queries_conferences.access_conference(profile=profile, conference_uuid=conference_uuid)
    try:
        url = conference_join_url(conference=conference, profile=profile)
    except JoinNotOpenError as refused:
        return _calls_page(request, profile, error=str(refused), status=403)
    except VideoEngineError as failed:
        logger.warning("conference %s: %s", conference.uuid, failed.operator_message)
        return _calls_page(request, profile, error=str(failed), status=503)
    except VideoError as refused:
        return _calls_page(request, profile, error=str(refused), status=503)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
