"""«Расписание» → «Подключиться» (manual 003, 2.2): the week's online lessons with their open conference.

A lesson's conference is the platform conference whose ``conf_ref`` is ``lesson-`` and the lesson's
sourcedId (:func:`~parta.integration.sync.conferences.lesson_conf_ref`: the roster sync puts online
lessons on the platform under that reference). «Подключиться» appears only while
the platform says joining is open (it gives ``join_url`` only then). A parent sees the words of
manual 001: the child's online lesson is joined from the child's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from parta.integration import queries
from parta.integration.conf import NotConfiguredError, config_required
from parta.integration.platform_api import PlatformClient, PlatformRefusedError, PlatformUnavailableError
from parta.integration.sync.conferences import lesson_conf_ref

register = template.Library()


@dataclass(frozen=True)
class LessonJoin:
    lesson: Any  # the journal's lesson as the schedule page has it
    join_url: str


@dataclass(frozen=True)
class ScheduleJoins:
    lessons: list[LessonJoin]
    linked: bool
    parent: bool
    unavailable: bool


@register.simple_tag(takes_context=True)
def sferum_lesson_joins(context: template.Context) -> ScheduleJoins | None:
    """``None`` when the shown week has no online lessons. Asked once per request: the card above the
    week and every lesson row (``sferum_lesson_join``) share the answer."""
    request = context.get("request")
    cached = getattr(request, "_sferum_lesson_joins", None)
    if isinstance(cached, ScheduleJoins):
        return cached
    joins = _week_joins(context)
    if joins is not None and request is not None:
        request._sferum_lesson_joins = joins
    return joins


@dataclass(frozen=True)
class RowJoin:
    join_url: str  # «Подключиться» while the platform says joining is open
    waiting: bool  # linked, not a parent, the platform answered: the link comes at the start


@register.simple_tag(takes_context=True)
def sferum_lesson_join(context: template.Context, lesson: Any) -> RowJoin | None:
    """The row of an online lesson in «Расписание» (journal/_week.html): its «Подключиться», if open."""
    joins = sferum_lesson_joins(context)
    if joins is None:
        return None
    for item in joins.lessons:
        if item.lesson.pk == lesson.pk:
            return RowJoin(
                join_url=item.join_url,
                waiting=not item.join_url and joins.linked and not joins.parent and not joins.unavailable,
            )
    return None


def _week_joins(context: template.Context) -> ScheduleJoins | None:
    online = [lesson for day in context.get("days") or () for lesson in day.lessons if lesson.online]
    request = context.get("request")
    user = getattr(request, "user", None)
    if not online or user is None or not user.is_authenticated:
        return None
    parent = context.get("role") == "parent"
    link = queries.linked(account_id=user.pk)
    urls: dict[str, str] = {}
    unavailable = False
    if link is not None and not parent:
        try:
            with PlatformClient(config_required()) as api:
                urls = {
                    c.conf_ref: c.join_url
                    for c in api.profile_conferences(sub=link.profile_sub)
                    if c.join_url
                }
        except (PlatformUnavailableError, PlatformRefusedError, NotConfiguredError):
            unavailable = True
    return ScheduleJoins(
        lessons=[
            LessonJoin(lesson=lesson, join_url=urls.get(lesson_conf_ref(str(lesson.sourced_id)), ""))
            for lesson in online
        ],
        linked=link is not None,
        parent=parent,
        unavailable=unavailable,
    )
