"""The diff of a school's desired chats against the ledger: what to send, and why each change happens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from parta.integration.models import SyncChangeKind, SyncGroup, SyncMember, SyncReason
from parta.integration.sync.desired import Applied, DesiredSchool, Linked, active_subs
from parta.journal.public import roster_leave_reasons, roster_restored

LEAVE_REASONS = {
    "expelled": SyncReason.EXPELLED,
    "graduated": SyncReason.GRADUATED,
    "restore_cancelled": SyncReason.RESTORE_CANCELLED,
    "transferred": SyncReason.TRANSFERRED,
    "staff_left": SyncReason.STAFF_LEFT,
}


class Change(NamedTuple):  # named tuples, not frozen dataclasses: a region makes millions of them
    account_id: int
    person_id: int | None
    sub: str
    change: str  # SyncChangeKind
    reason: str  # SyncReason


@dataclass
class GroupPlan:
    ref: str
    kind: str
    title: str
    subject: str
    archived: bool
    send_state: bool  # a new group, or its kind/subject/archive state changed: send the whole state
    is_new: bool
    old_title: str
    target: dict[str, Applied]  # sub → the member as it will be after this plan
    changes: list[Change] = field(default_factory=list)

    @property
    def removals(self) -> int:
        return sum(1 for c in self.changes if c.change == SyncChangeKind.REMOVED)

    @property
    def renamed(self) -> bool:
        return not self.is_new and self.title != self.old_title

    def payload(self) -> dict[str, Any]:
        if self.send_state:
            return {
                "group_ref": self.ref,
                "kind": self.kind,
                "title": self.title,
                "subject": self.subject,
                "members": sorted(self.target),
                "admins": sorted(sub for sub, m in self.target.items() if m.admin),
                "archived": self.archived,
            }
        delta: dict[str, Any] = {
            "group_ref": self.ref,
            "add": [],
            "remove": [],
            "admins_add": [],
            "admins_remove": [],
        }
        if self.renamed:  # a rename rides on the delta: the members are not all sent again (a rollover)
            delta["title"] = self.title
        for c in self.changes:
            if c.change == SyncChangeKind.ADDED:
                delta["admins_add" if self.target[c.sub].admin else "add"].append(c.sub)
            elif c.change == SyncChangeKind.REMOVED:
                delta["remove"].append(c.sub)
            elif c.change == SyncChangeKind.ADMIN_GRANTED:
                delta["admins_add"].append(c.sub)
            else:
                delta["admins_remove"].append(c.sub)
        return delta


@dataclass
class SchoolPlan:
    school_id: int
    org_ref: str
    name: str
    groups: list[GroupPlan]
    applied_members: int  # members in the ledger now (the base of the safety share)
    conferences: list[Any] = field(default_factory=list)  # ConferencePlan: online lessons (conferences.py)

    @property
    def removals(self) -> int:
        return sum(g.removals for g in self.groups)

    @property
    def changes(self) -> int:
        return sum(len(g.changes) for g in self.groups)


def ledger_of(school_id: int) -> tuple[dict[str, SyncGroup], dict[str, dict[str, Applied]]]:
    groups = {g.group_ref: g for g in SyncGroup.objects.filter(school_id=school_id)}
    members: dict[str, dict[str, Applied]] = {ref: {} for ref in groups}
    by_id = {g.pk: members[g.group_ref] for g in groups.values()}
    # By the chats' ids, not a join on the school: PostgreSQL plans that join from the ledger's statistics,
    # stale while an initial sync fills it, and then scanned the whole ledger for every school.
    ids = sorted(by_id)
    for start in range(0, len(ids), 5000):
        for group_id, sub, account_id, person_id, admin in SyncMember.objects.filter(
            group_id__any=ids[start : start + 5000]
        ).values_list("group_id", "sub", "account_id", "person_id", "admin"):
            by_id[group_id][sub] = Applied(account_id, person_id, admin)
    return groups, members


def school_plan(desired: DesiredSchool, *, last_ok_ts: float | None) -> SchoolPlan:
    """The changes that bring the ledger to ``desired``. ``last_ok_ts`` — when the school was last synced
    completely (a profile linked since then joins with the reason «linked»)."""
    ledger, applied = ledger_of(desired.school_id)
    plans: list[GroupPlan] = []
    for ref, group in desired.groups.items():
        old = ledger.get(ref)
        before = applied.get(ref, {})
        target = group.members  # the same type as the ledger's: compared as they are
        plan = GroupPlan(
            ref=ref,
            kind=group.kind,
            title=group.title,
            subject=group.subject,
            archived=False,
            send_state=old is None
            or (old.kind, old.subject, old.archived) != (group.kind, group.subject, False),
            is_new=old is None,
            old_title=old.title if old else "",
            target=target,
        )
        _diff(plan, before, target)
        if plan.send_state or plan.changes or plan.renamed:
            plans.append(plan)
    for ref, old in ledger.items():
        if ref in desired.groups or old.archived:
            continue
        plan = GroupPlan(
            ref=ref,
            kind=old.kind,
            title=old.title,
            subject=old.subject,
            archived=True,
            send_state=True,
            is_new=False,
            old_title=old.title,
            target={},
        )
        _diff(plan, applied.get(ref, {}), {})
        plans.append(plan)
    _reasons(desired, plans, last_ok_ts=last_ok_ts)
    return SchoolPlan(
        school_id=desired.school_id,
        org_ref=desired.org_ref,
        name=desired.name,
        groups=plans,
        applied_members=sum(len(m) for m in applied.values()),
    )


def _diff(plan: GroupPlan, before: dict[str, Applied], after: dict[str, Applied]) -> None:
    if before == after:  # most chats of a run, compared in one go (a rollover's renamed chats too)
        return
    for sub, member in after.items():
        old = before.get(sub)
        if old is None:
            plan.changes.append(Change(member.account_id, member.person_id, sub, SyncChangeKind.ADDED, ""))
        elif old.admin != member.admin:
            kind = SyncChangeKind.ADMIN_GRANTED if member.admin else SyncChangeKind.ADMIN_REVOKED
            plan.changes.append(Change(member.account_id, member.person_id, sub, kind, ""))
    for sub, old in before.items():
        if sub not in after:
            plan.changes.append(Change(old.account_id, old.person_id, sub, SyncChangeKind.REMOVED, ""))


def _reasons(desired: DesiredSchool, plans: list[GroupPlan], *, last_ok_ts: float | None) -> None:
    removed_people = sorted(
        {c.person_id for p in plans for c in p.changes if c.change == SyncChangeKind.REMOVED and c.person_id}
    )
    added_people = sorted(
        {c.person_id for p in plans for c in p.changes if c.change == SyncChangeKind.ADDED and c.person_id}
    )
    removed_accounts = {c.account_id for p in plans for c in p.changes if c.change == SyncChangeKind.REMOVED}
    linked = dict(desired.linked)
    linked.update(active_subs(removed_accounts - set(linked)))
    leave = (
        roster_leave_reasons(school_id=desired.school_id, person_ids=removed_people) if removed_people else {}
    )
    restored = (
        roster_restored(school_id=desired.school_id, person_ids=added_people) if added_people else set()
    )
    for plan in plans:
        plan.changes = [
            Change(
                c.account_id,
                c.person_id,
                c.sub,
                c.change,
                _reason(linked, plan, c, leave, restored, last_ok_ts),
            )
            for c in plan.changes
        ]


def _reason(
    linked_accounts: dict[int, Linked],
    plan: GroupPlan,
    change: Change,
    leave: dict[int, str],
    restored: set[int],
    last_ok_ts: float | None,
) -> str:
    if change.change in (SyncChangeKind.ADMIN_GRANTED, SyncChangeKind.ADMIN_REVOKED):
        return SyncReason.CLASS_TEACHER
    linked = linked_accounts.get(change.account_id)
    if change.change == SyncChangeKind.REMOVED:
        if linked is None or linked.sub != change.sub:
            return SyncReason.UNLINKED
        if change.person_id is not None and change.person_id in leave:
            return LEAVE_REASONS.get(leave[change.person_id], SyncReason.MANUAL)
        if plan.archived:
            return SyncReason.CHAT_CLOSED
        return SyncReason.MANUAL
    if linked is not None and last_ok_ts is not None and linked.linked_at_ts > last_ok_ts:
        return SyncReason.LINKED
    if change.person_id is not None and change.person_id in restored:
        return SyncReason.RESTORED
    if plan.target[change.sub].admin and plan.kind in ("class", "parents", "subject"):
        return SyncReason.CLASS_TEACHER
    if plan.kind == "staff":
        return SyncReason.HIRED
    return SyncReason.ENROLLED
