"""Online lessons → conferences (docs/sync.md): a lesson marked «онлайн-урок» is a conference of kind
«Онлайн-урок» for its class chat on the platform; moved when the lesson moves, deleted when it is
cancelled (deleted from the journal) or unmarked. The ledger (``SyncConference``) holds what was applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parta.core.bulk import bulk_update_rows
from parta.integration.models import SyncConference, SyncGroup, SyncMember
from parta.integration.sync.desired import DesiredSchool, group_refs
from parta.integration.sync.ledger import ledger_commit_async
from parta.journal.public import school_online_lessons

PUT = "put"
DELETE = "delete"
ACTION_WORDS = {PUT: "создать", "move": "перенести", DELETE: "удалить — урок отменён или больше не онлайн"}


def lesson_conf_ref(lesson_ref: str) -> str:
    """The platform's ``conf_ref`` of a lesson's conference: ``lesson-`` and the lesson's sourcedId. The
    sync puts the conference there, and «Расписание» finds its «Подключиться» by it."""
    return f"lesson-{lesson_ref}"


def window_start(now: dt.datetime | None = None) -> dt.date:
    """Lessons from this day on are kept in step; older ones are left as they are (their conferences
    stay in the history of the platform)."""
    days = int(getattr(settings, "PARTA_SYNC_CONFERENCE_DAYS_BACK", 7))
    return timezone.localdate(now or timezone.now()) - dt.timedelta(days=days)


@dataclass(frozen=True)
class DesiredConference:
    conf_ref: str
    lesson_id: int
    group_ref: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    organizer: str  # the teacher's sub when the platform knows them in this school, else ""

    def key(self) -> tuple[str, str, dt.datetime, dt.datetime, str]:
        return (self.group_ref, self.title, self.starts_at, self.ends_at, self.organizer)

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "title": self.title,
            "kind": "lesson",
            "start": self.starts_at.isoformat(),
            "end": self.ends_at.isoformat(),
            "group_ref": self.group_ref,
        }
        if self.organizer:
            body["organizer"] = self.organizer
        return body


@dataclass(frozen=True)
class ConferencePlan:
    action: str  # put | delete
    conf_ref: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    is_new: bool
    desired: DesiredConference | None  # for put

    @property
    def words(self) -> str:
        if self.action == DELETE:
            return ACTION_WORDS[DELETE]
        return ACTION_WORDS[PUT] if self.is_new else ACTION_WORDS["move"]


def conference_title(subject: str, class_title: str) -> str:
    return f"{subject} — {class_title} класс"[:200]


def desired_conferences(desired: DesiredSchool, *, since: dt.date) -> dict[str, DesiredConference]:
    """The conferences the school's online lessons from ``since`` on should have, by ``conf_ref``. The
    organizer is the lesson's teacher when linked and already a member of one of the school's chats (so
    the platform knows the profile in this organization)."""
    lessons = school_online_lessons(school_id=desired.school_id, since=since)
    teachers = {lesson.teacher_account_id for lesson in lessons if lesson.teacher_account_id is not None}
    # By the school's chat ids, not a join on the school: the ledger's statistics are stale while a region's
    # first sync fills it, and PostgreSQL then joined the whole ledger (28 ms a school at 1,000,000 students).
    chats = (
        list(SyncGroup.objects.filter(school_id=desired.school_id).values_list("pk", flat=True))
        if teachers
        else []
    )
    known = (
        dict(
            SyncMember.objects.filter(group_id__any=chats, account_id__any=sorted(teachers))
            .order_by("pk")
            .values_list("account_id", "sub")
        )
        if chats
        else {}
    )
    found: dict[str, DesiredConference] = {}
    for lesson in lessons:
        organizer = ""
        teacher = lesson.teacher_account_id
        if (
            teacher is not None
            and teacher in desired.linked
            and known.get(teacher) == desired.linked[teacher].sub
        ):
            organizer = desired.linked[teacher].sub
        conf_ref = lesson_conf_ref(lesson.ref)
        found[conf_ref] = DesiredConference(
            conf_ref=conf_ref,
            lesson_id=lesson.id,
            group_ref=group_refs(lesson.cohort_ref)[0],
            title=conference_title(lesson.subject_name, lesson.class_title),
            starts_at=lesson.starts_at,
            ends_at=lesson.ends_at,
            organizer=organizer,
        )
    return found


def conference_plan(desired: DesiredSchool, *, since: dt.date | None = None) -> list[ConferencePlan]:
    """What to PUT and DELETE so the platform's lesson conferences of the school match its online lessons."""
    since = since or window_start()
    wanted = desired_conferences(desired, since=since)
    start = dt.datetime.combine(since, dt.time(), tzinfo=timezone.get_default_timezone())
    applied = {
        row.conf_ref: row
        for row in SyncConference.objects.filter(school_id=desired.school_id, ends_at__gte=start)
    }
    plans: list[ConferencePlan] = []
    retry_before = timezone.now() - dt.timedelta(
        seconds=int(getattr(settings, "PARTA_SYNC_CONFERENCE_RETRY_SECONDS", 6 * 3600))
    )
    for conf_ref, conference in wanted.items():
        old = applied.get(conf_ref)
        if (
            old is None
            or (old.group_ref, old.title, old.starts_at, old.ends_at, old.organizer) != conference.key()
            or (old.refused and old.updated_at < retry_before)
        ):
            plans.append(
                ConferencePlan(
                    PUT,
                    conf_ref,
                    conference.title,
                    conference.starts_at,
                    conference.ends_at,
                    is_new=old is None,
                    desired=conference,
                )
            )
    for conf_ref, old in applied.items():
        if conf_ref not in wanted:
            plans.append(ConferencePlan(DELETE, conf_ref, old.title, old.starts_at, old.ends_at, False, None))
    return plans


def conferences_applied(
    *, school_id: int, org_ref: str, plans: list[ConferencePlan], refused: dict[str, str] | None = None
) -> None:
    """The platform answered these calls: the ledger follows, in one transaction and a fixed number of
    statements (a crash before it only repeats the idempotent calls next time). ``refused``: the
    conferences the platform refused for good (conf_ref → its message), kept with the message so they
    are not asked for again at every run (see :func:`conference_plan`)."""
    refused = refused or {}
    gone = [p.conf_ref for p in plans if p.action == DELETE]
    put = {p.conf_ref: p.desired for p in plans if p.action == PUT and p.desired is not None}
    now = timezone.now()
    fields = [
        "school_id",
        "lesson_id",
        "group_ref",
        "title",
        "starts_at",
        "ends_at",
        "organizer",
        "updated_at",
        "refused",
    ]
    with transaction.atomic():
        ledger_commit_async()
        if gone:
            SyncConference.objects.filter(org_ref=org_ref, conf_ref__in=gone).delete()
        if not put:
            return
        existing = {
            r.conf_ref: r for r in SyncConference.objects.filter(org_ref=org_ref, conf_ref__in=list(put))
        }
        rows: list[SyncConference] = []
        for conf_ref, wanted in put.items():
            row = existing.get(conf_ref) or SyncConference(org_ref=org_ref, conf_ref=conf_ref)
            values = (
                school_id,
                wanted.lesson_id,
                wanted.group_ref,
                wanted.title,
                wanted.starts_at,
                wanted.ends_at,
            )
            answer = refused.get(conf_ref, "")
            for name, value in zip(fields, (*values, wanted.organizer, now, answer), strict=True):
                setattr(row, name, value)
            rows.append(row)
        # split first: bulk_create sets the new rows' pk (on PostgreSQL), which would update them again
        new, known = [r for r in rows if r.pk is None], [r for r in rows if r.pk is not None]
        SyncConference.objects.bulk_create(new, batch_size=1000)
        bulk_update_rows(known, fields)


def conferences_forget_past(*, school_id: int, since: dt.date | None = None) -> int:
    """Drop the ledger rows of conferences that ended before the window (nothing is sent)."""
    since = since or window_start()
    start = dt.datetime.combine(since, dt.time(), tzinfo=timezone.get_default_timezone())
    deleted, _ = SyncConference.objects.filter(school_id=school_id, ends_at__lt=start).delete()
    return deleted
