"""Reads of video conferences: whose they are, and whether joining is open now.

A profile takes part in a conference when it is listed, is a member of the conference's chat, or
organizes it — and is still a member of the conference's organization. ``access_conference`` answers
404 alike for a conference that does not exist and one the profile is not in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from parta.core import clock
from parta.messenger.models import Conference
from parta.messenger.types import Profile
from parta.messenger.video import join_grace

# How long after its end a conference stays in «Звонки».
RECENT = dt.timedelta(days=7)


def _of(profile_id: int) -> QuerySet[Conference]:
    return (
        Conference.objects.filter(
            Q(participants__profile_id=profile_id)
            | Q(chat__members__profile_id=profile_id)
            | Q(organizer_id=profile_id),
            organization__memberships__profile_id=profile_id,
        )
        .distinct()
        .select_related("organization")
    )


@dataclass(frozen=True)
class ConferenceRow:
    conference: Conference
    opens_at: dt.datetime
    join_open: bool
    ended: bool

    @property
    def title(self) -> str:
        return self.conference.title

    @property
    def kind_label(self) -> str:
        return self.conference.get_kind_display()

    @property
    def starts_at(self) -> dt.datetime:
        return self.conference.starts_at

    @property
    def ends_at(self) -> dt.datetime:
        return self.conference.ends_at


def _row(conference: Conference, now: dt.datetime, grace: dt.timedelta) -> ConferenceRow:
    opens_at = conference.starts_at - grace
    return ConferenceRow(
        conference=conference,
        opens_at=opens_at,
        join_open=opens_at <= now < conference.ends_at,
        ended=now >= conference.ends_at,
    )


def conferences_of(
    *, profile_id: int, client_id: int | None = None, now: dt.datetime | None = None
) -> list[ConferenceRow]:
    """The profile's conferences that have not ended more than a week ago, soonest first (only those of
    the journal ``client_id``'s organizations, if given)."""
    now = now or clock.now()
    conferences = _of(profile_id).filter(ends_at__gt=now - RECENT)
    if client_id is not None:
        conferences = conferences.filter(organization__client_id=client_id)
    grace = join_grace()
    rows = [_row(conference, now, grace) for conference in conferences.order_by("starts_at", "pk")]
    # What is open or still to come first, then what has ended (the latest first).
    return [r for r in rows if not r.ended] + sorted(
        (r for r in rows if r.ended), key=lambda r: r.ends_at, reverse=True
    )


def access_conference(*, profile: Profile, conference_uuid: UUID | str) -> Conference:
    conference = _of(int(profile.pk)).filter(uuid=conference_uuid).first()
    if conference is None:
        raise Http404
    return conference
