"""The journal's pages for signed-in users: home, «Расписание», «Справка», the chats icon."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from parta.journal import public, queries
from parta.journal.models import Account, Person


def _account(request: HttpRequest) -> Account:
    user = request.user
    assert isinstance(user, Account)  # guaranteed by login_required on every caller
    return user


def active_role(request: HttpRequest) -> str | None:
    """The role chosen in the header's switcher, or the account's first role."""
    roles = queries.account_roles(_account(request))
    chosen = request.session.get("journal_role")
    if chosen in roles:
        return str(chosen)
    return roles[0] if roles else None


def _monday(request: HttpRequest) -> dt.date:
    raw = request.GET.get("week", "")
    try:
        day = dt.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return queries.week_start(day)


def _schedule_context(request: HttpRequest, monday: dt.date) -> dict[str, object]:
    account = _account(request)
    role = active_role(request)
    context: dict[str, object] = {
        "role": role,
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "previous_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "this_week": queries.week_start(timezone.localdate()),
        "today": timezone.localdate(),
        "days": [],
        "show_class": False,
    }
    person_id = account.person_id
    if person_id is None:
        return context
    if role == queries.ROLE_STUDENT:
        context["school_class"] = queries.current_class_of(person_id)
        context["days"] = queries.student_week(student_id=person_id, monday=monday)
    elif role == queries.ROLE_PARENT:
        children = queries.children_of(person_id)
        child: Person | None = children[0] if children else None
        if request.GET.get("child", "").isdigit():
            child = queries.access_child(account=account, child_id=int(request.GET["child"]))
        context["children"] = children
        context["child"] = child
        if child is not None:
            context["school_class"] = queries.current_class_of(child.pk)
            context["days"] = queries.student_week(student_id=child.pk, monday=monday)
    elif role in queries.STAFF_ROLES:
        classes = list(queries.school_classes(school_ids=queries.staff_school_ids(person_id)))
        context["classes"] = classes
        if request.GET.get("class", "").isdigit():
            school_class = queries.access_school_class(
                account=account, school_class_id=int(request.GET["class"])
            )
            context["school_class"] = school_class
            context["days"] = queries.class_week(school_class_id=school_class.pk, monday=monday)
        else:
            context["days"] = queries.teacher_week(teacher_id=person_id, monday=monday)
            context["show_class"] = True
        context["homerooms"] = [c for c in classes if c.class_teacher_id == person_id]
    return context


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = _schedule_context(request, queries.week_start(timezone.localdate()))
    return render(request, "journal/home.html", context)


@login_required
def schedule(request: HttpRequest) -> HttpResponse:
    context = _schedule_context(request, _monday(request))
    template = "journal/_week.html#week" if request.headers.get("HX-Request") else "journal/schedule.html"
    return render(request, template, context)


@login_required
@require_POST
def role_switch(request: HttpRequest) -> HttpResponse:
    role = request.POST.get("role", "")
    if role in queries.account_roles(_account(request)):
        request.session["journal_role"] = role
    return redirect("journal:home")


@login_required
def chats(request: HttpRequest) -> HttpResponse:
    """The chats icon of the header: to the connected messenger, or a page saying none is connected."""
    partners = public.partners()
    if partners:
        return redirect(partners[0].chats_url(account_id=_account(request).pk))
    return render(request, "journal/chats_none.html")


@login_required
def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "journal/help.html")
