"""The per-account fast path of the sync (docs/sync.md): a link, unlink or restore of one person plans
only that person's memberships in the chats of their schools — a few indexed queries, whatever the size
of the school — so it reaches the platform in well under a second, even while a full reconcile runs."""

from __future__ import annotations

from dataclasses import dataclass

from parta.integration.models import SyncGroup, SyncMember
from parta.integration.sync.desired import active_subs, desired_from_roster
from parta.integration.sync.plan import Applied, GroupPlan, SchoolPlan, _diff, _reasons
from parta.journal.public import account_roster


@dataclass
class AccountPlan:
    plan: SchoolPlan | None  # the person's changes in the school's existing chats
    needs_school_run: bool  # a chat of the person is not on the platform yet: the school's run makes it


def account_school_plan(*, school_id: int, account_id: int, last_ok_ts: float | None) -> AccountPlan:
    """The changes that bring one account's memberships in one school's chats to the journal's state.
    Only chats already in the ledger are touched, with their applied title and kind (a rename or a new
    chat is left to the school's run)."""
    roster = account_roster(school_id=school_id, account_id=account_id)
    if roster is None:
        return AccountPlan(None, False)
    linked = active_subs({account_id})
    desired = desired_from_roster(roster, linked)
    mine: dict[str, dict[str, Applied]] = {}
    for ref, group in desired.groups.items():
        people = {s: m for s, m in group.members.items() if m.account_id == account_id}
        if people:
            mine[ref] = people
    applied: dict[str, dict[str, Applied]] = {}
    for ref, sub, person_id, admin in SyncMember.objects.filter(
        group__school_id=school_id, account_id=account_id
    ).values_list("group__group_ref", "sub", "person_id", "admin"):
        applied.setdefault(ref, {})[sub] = Applied(account_id, person_id, admin)
    refs = sorted(set(mine) | set(applied))
    ledger = {g.group_ref: g for g in SyncGroup.objects.filter(school_id=school_id, group_ref__in=refs)}
    plans: list[GroupPlan] = []
    missing = False
    for ref in refs:
        old = ledger.get(ref)
        if old is None or old.archived:
            missing = missing or bool(mine.get(ref))
            continue
        target = mine.get(ref, {})
        plan = GroupPlan(
            ref=ref,
            kind=old.kind,
            title=old.title,
            subject=old.subject,
            archived=False,
            send_state=False,
            is_new=False,
            old_title=old.title,
            target=target,
        )
        _diff(plan, applied.get(ref, {}), target)
        if plan.changes:
            plans.append(plan)
    _reasons(desired, plans, last_ok_ts=last_ok_ts)
    school_plan = SchoolPlan(
        school_id=school_id,
        org_ref=roster.school_ref,
        name=roster.school_name,
        groups=plans,
        applied_members=0,
    )
    return AccountPlan(school_plan, missing)
