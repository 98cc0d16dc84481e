"""Linking a journal account to an educational profile, and unlinking it — on both sides, or neither.

``binding_create`` (after «Привязать»):
  1. under a lock on the account's rows, refuse what the rules refuse, and store the bindings as
     ``pending`` (never shown as linked);
  2. ask the platform: ``PUT /orgs/{ref}`` and the idempotent ``POST /links`` per school;
  3. mark them ``active`` with the link ids.
  A refusal by the platform (409) or no answer marks them ``failed``; a link the platform may have made
  while we did not hear its answer is found and deleted by :func:`bindings_repair` (called before every
  new linking of the account and by ``parta journal integration_repair``), and a repeat of the same
  linking reuses it (``POST /links`` is idempotent). If storing ``active`` fails after the platform said
  yes, the links are deleted again.

An account in several schools (docs/integration.md): an account already bound to a profile that links
again with the *same* profile gets only the (role, school) pairs it has no live binding for — a school or
role it gained since — by the same three steps; with another profile it is refused.
:func:`bindings_extend` does the same without a new sign-in, with the profile the account is bound to:
after a confirmation in the messenger (manual 003, which binds one school) and from the roster → chats
reconcile when a linked account gains a role or school. Bindings of roles the account has lost are kept
(the reconcile takes the person out of those chats; unlinking ends them all).

``binding_end`` (after «Да» / «Отвязать», or by the operator with a reason): ``DELETE /links/{id}``
first; only when the platform confirms (or no longer knows the link) are the rows ended.

Crashes and refusals (docs/integration.md, «When linking breaks»): a ``pending`` row older than
``PARTA_INTEGRATION_PENDING_STALE`` was left by a process killed mid-linking; the next attempt of any path
settles it from the platform's own list of links (:func:`bindings_pending_repair`). A school the platform
refuses for good (a 4xx) is remembered as a :class:`~parta.integration.models.LinkRefusal` and the
automatic extension does not ask again until the person links again or the operator clears it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from parta.integration.actions.audit import binding_event_record
from parta.integration.actions.errors import LinkError, NotStoredError, UnlinkError
from parta.integration.actions.rules import profile_owner_check
from parta.integration.conf import Config, pending_stale_after, unlink_policy
from parta.integration.models import Binding, BindingEventKind, BindingState, LinkRefusal
from parta.integration.oidc import ProfileClaims
from parta.integration.platform_api import (
    Link,
    LinkDisplay,
    PlatformClient,
    PlatformError,
    PlatformRefusedError,
    PlatformUnavailableError,
)
from parta.journal.public import AccountInfo, AccountRole, account_info

logger = logging.getLogger(__name__)

# Journal roles → the platform's roles (API v1: student|parent|teacher|staff).
PLATFORM_ROLES = {"teacher": "teacher", "administrator": "staff", "parent": "parent", "student": "student"}

ALREADY_ELSEWHERE = (
    "Этот учебный профиль «Сферум» уже привязан к другой учётной записи журнала. Если на ваш номер "
    "телефона уже совершена привязка, не привязывайте его к другой учётной записи, а войдите в журнал "
    "под уже существующей учётной записью."
)
ALREADY_OTHER_PROFILE = (
    "Ваша учётная запись уже привязана к учебному профилю «Сферум». Чтобы привязать другой профиль, "
    "сначала отвяжите текущий."
)
IN_PROGRESS = (
    "Привязка вашей учётной записи к «Сферум» уже выполняется. Обновите страницу через минуту и, если "
    "привязка не появится, попробуйте ещё раз."
)
NO_ROLE = (
    "У вашей учётной записи пока нет роли в школе (ни класса, ни детей, ни должности), поэтому её не к "
    "чему привязать. Обратитесь к администратору школы."
)
LIVE = (BindingState.PENDING, BindingState.ACTIVE)


# 4xx answers that say nothing about the school: the journal's token or its rate — not remembered.
NOT_ABOUT_THE_SCHOOL = frozenset({401, 403, 429})
REPAIR_POSTPONED = "платформа не ответила при проверке незавершённой привязки"


class LinkInProgressError(LinkError):
    """Another linking of the account holds ``pending`` rows right now."""


class PlatformRefusalError(LinkError):
    """The platform refused a school of the linking (a 4xx); its Russian ``detail`` is the message."""

    def __init__(self, message: str, *, status: int, detail: str, org_ref: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail
        self.org_ref = org_ref


def live_bindings() -> QuerySet[Binding]:
    """The rows that hold a (account, role, school): active, or pending and younger than the bound after
    which a pending row is taken for one left by a crash (:func:`bindings_pending_repair`)."""
    fresh = timezone.now() - pending_stale_after()
    return Binding.objects.filter(
        Q(state=BindingState.ACTIVE) | Q(state=BindingState.PENDING, created_at__gte=fresh)
    )


@dataclass(frozen=True)
class BoundProfile:
    """The educational profile rows are bound to: from the ID's claims, or from the account's bindings."""

    sub: str
    name: str
    phone: str
    family_name: str = ""
    given_name: str = ""
    middle_name: str = ""

    @classmethod
    def from_claims(cls, claims: ProfileClaims) -> BoundProfile:
        return cls(
            sub=claims.sub,
            name=claims.full_name,
            phone=claims.phone,
            family_name=claims.family_name,
            given_name=claims.given_name,
            middle_name=claims.middle_name,
        )


def journal_account_ref(account_id: int) -> str:
    return str(account_id)


def binding_gaps(*, account: AccountInfo, bound: Iterable[tuple[str, str]]) -> list[AccountRole]:
    """The account's roles (this year, per school) without a live binding among ``bound`` (role, org_ref)."""
    have = set(bound)
    return [role for role in account.roles if (role.role, role.school_ref) not in have]


def _lock_account(account_id: int) -> None:
    """Serialise bindings of one account (and the check of one profile) — one short transaction."""
    get_user_model().objects.select_for_update().filter(pk=account_id).first()


def _client(config: Config) -> PlatformClient:
    return PlatformClient(config)


def binding_create(
    *, config: Config, account_id: int, claims: ProfileClaims, actor_id: int | None = None
) -> list[Binding]:
    """Bind every role of the account to the profile in ``claims`` (after «Привязать»).

    Already bound to the same profile: only the roles and schools not bound yet are added (none missing:
    nothing changes, the account's active bindings are returned). Bound to another profile: refused."""
    account = account_info(account_id=account_id)
    if account is None or not account.roles:
        raise LinkError(NO_ROLE)
    try:
        profile_owner_check(account=account, claims=claims)
    except LinkError as refused:
        binding_event_record(
            kind=BindingEventKind.LINK_REFUSED,
            account_id=account_id,
            actor_id=actor_id,
            profile_sub=claims.sub,
            reason="owner",
            message=str(refused),
        )
        raise
    bindings_repair(config=config, account_id=account_id)
    # The person links again: the platform's earlier refusals are asked again (and remembered again).
    link_refusals_clear(account_id=account_id, actor_id=actor_id, reason="привязка через Сферум ID")
    profile = BoundProfile.from_claims(claims)
    rows = _bindings_start(account=account, profile=profile, actor_id=actor_id, method="id")
    if not rows:
        return list(Binding.objects.filter(account_id=account_id, state=BindingState.ACTIVE).order_by("pk"))
    _bindings_register(config=config, account=account, profile=profile, rows=rows, actor_id=actor_id)
    return rows


def refused_pairs(*, account_id: int, profile_sub: str) -> set[tuple[str, str]]:
    """(role, school) pairs the platform refused for good for this profile, not cleared since."""
    return set(
        LinkRefusal.objects.filter(
            account_id=account_id, profile_sub=profile_sub, cleared_at__isnull=True
        ).values_list("role", "org_ref")
    )


def link_refusals_clear(
    *, account_id: int, actor_id: int | None, reason: str, refusal_ids: Iterable[int] | None = None
) -> int:
    """Forget the account's open refusals (or those of ``refusal_ids``): the automatic extension asks the
    platform about those schools again. Audited; returns how many were cleared."""
    open_rows = LinkRefusal.objects.filter(account_id=account_id, cleared_at__isnull=True)
    if refusal_ids is not None:
        open_rows = open_rows.filter(pk__in=list(refusal_ids))
    cleared = list(open_rows.order_by("pk").values_list("pk", "role", "org_ref", "profile_sub"))
    if not cleared:
        return 0
    done = LinkRefusal.objects.filter(pk__in=[row[0] for row in cleared], cleared_at__isnull=True).update(
        cleared_at=timezone.now(), cleared_by_id=actor_id, clear_reason=reason[:255]
    )
    if done:
        binding_event_record(
            kind=BindingEventKind.REFUSAL_CLEARED,
            account_id=account_id,
            actor_id=actor_id,
            profile_sub=cleared[0][3],
            roles=[row[1] for row in cleared],
            schools=sorted({row[2] for row in cleared}),
            reason=reason,
        )
    return done


def _refusal_remember(
    *, account: AccountInfo, profile: BoundProfile, rows: list[Binding], refused: PlatformRefusedError
) -> None:
    """Remember a refusal for good of the rows' school (the one refused, when known)."""
    if refused.status in NOT_ABOUT_THE_SCHOOL:
        return
    names = {role.school_ref: role.school_name for role in account.roles}
    for row in rows:
        if refused.org_ref and row.org_ref != refused.org_ref:
            continue
        LinkRefusal.objects.update_or_create(
            account_id=account.id,
            role=row.role,
            org_ref=row.org_ref,
            profile_sub=profile.sub,
            cleared_at=None,
            defaults={
                "school_name": names.get(row.org_ref, ""),
                "status": refused.status,
                "detail": (refused.detail or "")[:2000],
                "created_at": timezone.now(),
            },
        )


def bindings_extend(
    *, config: Config, account_id: int, method: str, actor_id: int | None = None
) -> list[Binding]:
    """Bind the roles and schools the account gained since it was linked to the profile it is bound to.

    Level-triggered and idempotent: nothing to do (not linked, nothing missing, another linking in
    progress) returns ``[]``. Both sides or neither per school, like :func:`binding_create`. A school the
    platform refuses for good (a 4xx) is audited and remembered (:class:`LinkRefusal`): it is not asked
    again until the person links again or the operator clears it, and the other schools go on. Raises
    :class:`LinkError` when the journal's own rules refuse, and ``PlatformUnavailableError`` when the
    platform did not answer (those rows are ``failed``; the next call tries again)."""
    active = list(Binding.objects.filter(account_id=account_id, state=BindingState.ACTIVE).order_by("pk"))
    if not active:
        return []
    account = account_info(account_id=account_id)
    if account is None:
        return []
    skip = refused_pairs(account_id=account_id, profile_sub=active[0].profile_sub)
    bound = {(b.role, b.org_ref) for b in active} | skip
    if not binding_gaps(account=account, bound=bound):
        return []
    subs = {row.profile_sub for row in active}
    if len(subs) != 1:
        logger.warning("account %s is bound to %s profiles; not extending", account_id, len(subs))
        return []
    first = active[0]
    person = account.person
    profile = BoundProfile(
        sub=first.profile_sub,
        name=first.profile_name,
        phone=first.phone,
        family_name=person.last_name if person else "",
        given_name=person.first_name if person else "",
        middle_name=person.middle_name if person else "",
    )
    bindings_repair(config=config, account_id=account_id)
    try:
        rows = _bindings_start(account=account, profile=profile, actor_id=actor_id, method=method, skip=skip)
    except LinkInProgressError:
        return []
    by_school: dict[str, list[Binding]] = defaultdict(list)
    for row in rows:
        by_school[row.org_ref].append(row)
    added: list[Binding] = []
    schools = list(by_school)
    for index, org_ref in enumerate(schools):
        try:
            _bindings_register(
                config=config, account=account, profile=profile, rows=by_school[org_ref], actor_id=actor_id
            )
        except PlatformRefusalError as refused:
            logger.warning("account %s not bound in school %s: %s", account_id, org_ref, refused)
            continue
        except PlatformUnavailableError:
            _fail([row for later in schools[index + 1 :] for row in by_school[later]], cleanup=False)
            raise
        added.extend(by_school[org_ref])
    return added


def _bindings_start(
    *,
    account: AccountInfo,
    profile: BoundProfile,
    actor_id: int | None,
    method: str,
    skip: set[tuple[str, str]] | None = None,
) -> list[Binding]:
    """Step 1, under the account's lock: refuse, or store the missing pairs (but those in ``skip``) as
    ``pending`` (``[]``: none)."""
    account_id = account.id
    refusal: tuple[str, str] | None = None
    rows: list[Binding] = []
    with transaction.atomic():
        _lock_account(account_id)
        live = Binding.objects.filter(state__in=LIVE)
        mine = list(live.filter(account_id=account_id))
        fresh = timezone.now() - pending_stale_after()
        if live.filter(profile_sub=profile.sub).exclude(account_id=account_id).exists():
            refusal = ("elsewhere", ALREADY_ELSEWHERE)
        elif any(row.profile_sub != profile.sub for row in mine):
            refusal = ("other_profile", ALREADY_OTHER_PROFILE)
        elif any(row.state == BindingState.PENDING and row.created_at >= fresh for row in mine):
            raise LinkInProgressError(IN_PROGRESS)
        elif any(row.state == BindingState.PENDING for row in mine):
            # left by a crash, and the repair could not ask the platform: try again later
            raise PlatformUnavailableError(REPAIR_POSTPONED)
        else:
            bound = {(row.role, row.org_ref) for row in mine} | (skip or set())
            missing = binding_gaps(account=account, bound=bound)
            rows = [
                Binding.objects.create(
                    account_id=account_id,
                    role=role.role,
                    org_ref=role.school_ref,
                    profile_sub=profile.sub,
                    profile_name=profile.name,
                    phone=profile.phone,
                    state=BindingState.PENDING,
                )
                for role in missing
            ]
            if rows:
                binding_event_record(
                    kind=BindingEventKind.LINK_STARTED,
                    account_id=account_id,
                    actor_id=actor_id,
                    profile_sub=profile.sub,
                    roles=[row.role for row in rows],
                    schools=sorted({row.org_ref for row in rows}),
                    method=method,
                    **({"added_to_existing": True} if mine else {}),
                )
    if refusal is not None:  # audited outside the transaction, which a refusal leaves empty
        binding_event_record(
            kind=BindingEventKind.LINK_REFUSED,
            account_id=account_id,
            actor_id=actor_id,
            profile_sub=profile.sub,
            reason=refusal[0],
            method=method,
        )
        raise LinkError(refusal[1])
    return rows


def _bindings_register(
    *, config: Config, account: AccountInfo, profile: BoundProfile, rows: list[Binding], actor_id: int | None
) -> None:
    """Steps 2 and 3: the platform's links for the rows' schools, then the rows ``active`` — or ``failed``."""
    account_id = account.id
    held = set(
        Binding.objects.filter(account_id=account_id, state=BindingState.ACTIVE).values_list(
            "link_id", flat=True
        )
    )
    try:
        link_ids = _platform_link(
            config=config, account=account, profile=profile, schools={row.org_ref for row in rows}
        )
    except PlatformRefusedError as refused:
        # A link made for an earlier school of this call is deleted by the repair (not held by a binding).
        _fail(rows, cleanup=True)
        _refusal_remember(account=account, profile=profile, rows=rows, refused=refused)
        binding_event_record(
            kind=BindingEventKind.LINK_REFUSED,
            account_id=account_id,
            actor_id=actor_id,
            profile_sub=profile.sub,
            reason="platform",
            status=refused.status,
            message=refused.detail,
            **({"school": refused.org_ref} if refused.org_ref else {}),
        )
        if refused.status == 409:
            message = refused.detail or ALREADY_ELSEWHERE
        else:
            message = refused.detail or (
                "Сферум отклонил привязку. Попробуйте ещё раз или обратитесь в поддержку."
            )
        raise PlatformRefusalError(
            message, status=refused.status, detail=refused.detail, org_ref=refused.org_ref
        ) from refused
    except PlatformUnavailableError as error:
        _fail(rows, cleanup=True)
        binding_event_record(
            kind=BindingEventKind.LINK_FAILED,
            account_id=account_id,
            actor_id=actor_id,
            profile_sub=profile.sub,
            error=str(error)[:500],
        )
        raise

    try:
        with transaction.atomic():
            now = timezone.now()
            for row in rows:
                row.link_id = link_ids[row.org_ref]
                row.state = BindingState.ACTIVE
                row.linked_at = now
                row.save(update_fields=["link_id", "state", "linked_at"])
            binding_event_record(
                kind=BindingEventKind.LINKED,
                account_id=account_id,
                actor_id=actor_id,
                profile_sub=profile.sub,
                links=sorted({row.link_id for row in rows}),
                roles=[row.role for row in rows],
                schools=sorted({row.org_ref for row in rows}),
            )
    except Exception as error:
        logger.exception("storing the binding of account %s failed; undoing it on the platform", account_id)
        _undo_links(config=config, link_ids=set(link_ids.values()) - held)  # never a link still in use
        _fail(rows, cleanup=True)
        raise NotStoredError from error


def _platform_link(
    *, config: Config, account: AccountInfo, profile: BoundProfile, schools: set[str]
) -> dict[str, str]:
    """PUT each of ``schools`` and POST one link there with every role the account has in it (the
    platform replaces a link's roles); the link id by school ref."""
    by_school: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    for role in account.roles:
        if role.school_ref not in schools:
            continue
        by_school[role.school_ref].append(PLATFORM_ROLES[role.role])
        labels[role.school_ref].append(role.label)
        names[role.school_ref] = role.school_name
    person = account.person
    link_ids: dict[str, str] = {}
    with _client(config) as api:
        for org_ref, roles in by_school.items():
            try:
                api.org_put(org_ref=org_ref, name=names[org_ref])
                link = api.link_create(
                    profile_sub=profile.sub,
                    org_ref=org_ref,
                    journal_account_ref=journal_account_ref(account.id),
                    roles=sorted(set(roles)),
                    display=LinkDisplay(
                        first_name=person.first_name if person else profile.given_name,
                        last_name=person.last_name if person else profile.family_name,
                        middle_name=person.middle_name if person else profile.middle_name,
                        position=", ".join(labels[org_ref]),
                    ),
                )
            except PlatformRefusedError as refused:
                refused.org_ref = org_ref  # which school of the call was refused
                raise
            link_ids[org_ref] = link.id
    return link_ids


def _fail(rows: list[Binding], *, cleanup: bool) -> None:
    Binding.objects.filter(pk__in=[row.pk for row in rows]).update(
        state=BindingState.FAILED, ended_at=timezone.now(), cleanup_needed=cleanup
    )


def _undo_links(*, config: Config, link_ids: set[str]) -> None:
    try:
        with _client(config) as api:
            for link_id in sorted(link_ids):
                api.link_delete(link_id=link_id)
    except (PlatformUnavailableError, PlatformRefusedError):
        logger.warning("could not undo links %s; integration_repair will", sorted(link_ids))


def _link_holds(link: Link, row: Binding) -> bool:
    """Does the platform's link carry the row: the same profile, school and (when it says) the role?"""
    if (link.profile_sub, link.org_ref) != (row.profile_sub, row.org_ref):
        return False
    return not link.roles or PLATFORM_ROLES.get(row.role, row.role) in link.roles


def bindings_pending_repair(*, config: Config, account_id: int) -> int:
    """Settle the account's ``pending`` rows left by a crash (older than ``pending_stale_after()``).

    The platform's list of the account's links decides: a link for that profile, school and role → the
    row becomes ``active`` with its link id (audited ``linked``, ``repaired``); none → ``failed`` (audited
    ``link_failed``), as if the linking had never started, so the caller goes on. Fresh rows (a request
    still in flight) are left alone. Idempotent: each row changes only while still ``pending``, under the
    account's lock, so two repairers at once settle it once. Returns how many rows it settled; raises
    ``PlatformUnavailableError`` / ``PlatformRefusedError`` when the platform cannot tell (nothing changes).
    """
    cutoff = timezone.now() - pending_stale_after()
    stale = Binding.objects.filter(account_id=account_id, state=BindingState.PENDING, created_at__lt=cutoff)
    if not stale.exists():
        return 0
    with _client(config) as api:
        links = api.links(journal_account_ref=journal_account_ref(account_id))
    activated: list[Binding] = []
    failed: list[Binding] = []
    with transaction.atomic():
        _lock_account(account_id)
        now = timezone.now()
        for row in stale.order_by("pk"):
            held = next((link for link in links if _link_holds(link, row)), None)
            same = Binding.objects.filter(pk=row.pk, state=BindingState.PENDING)
            if held is not None:
                if same.update(state=BindingState.ACTIVE, link_id=held.id, linked_at=now):
                    row.link_id = held.id
                    activated.append(row)
            elif same.update(
                state=BindingState.FAILED, ended_at=now, end_reason="незавершённая привязка (сбой процесса)"
            ):
                failed.append(row)
        for kind, settled in ((BindingEventKind.LINKED, activated), (BindingEventKind.LINK_FAILED, failed)):
            if settled:
                detail: dict[str, Any] = {
                    "repaired": True,
                    "roles": [row.role for row in settled],
                    "schools": sorted({row.org_ref for row in settled}),
                }
                if kind == BindingEventKind.LINKED:
                    detail["links"] = sorted({row.link_id for row in settled})
                binding_event_record(
                    kind=kind, account_id=account_id, profile_sub=settled[0].profile_sub, **detail
                )
    return len(activated) + len(failed)


@dataclass(frozen=True)
class RepairSummary:
    checked: int  # accounts looked at
    deleted: int  # stray links deleted on the platform
    left: int  # accounts still waiting (the platform did not answer)


def bindings_repair_due(*, config: Config) -> RepairSummary:
    """Repair every account that needs it: ``pending`` rows older than ``pending_stale_after()`` and
    failed rows marked ``cleanup_needed`` (:func:`bindings_repair` each). Run by ``integration_repair``
    and, every ``PARTA_INTEGRATION_REPAIR_SECONDS``, by the task workers."""
    stale = Binding.objects.filter(
        state=BindingState.PENDING, created_at__lt=timezone.now() - pending_stale_after()
    )
    waiting = Q(cleanup_needed=True) | Q(pk__in=stale.values("pk"))
    account_ids = sorted(set(Binding.objects.filter(waiting).values_list("account_id", flat=True)))
    deleted = sum(bindings_repair(config=config, account_id=a) for a in account_ids)
    left = Binding.objects.filter(waiting).values("account_id").distinct().count()
    return RepairSummary(checked=len(account_ids), deleted=deleted, left=left)


def bindings_repair(*, config: Config, account_id: int) -> int:
    """Settle the account's ``pending`` rows left by a crash (:func:`bindings_pending_repair`), then
    delete its links on the platform that no active binding holds (after a lost answer).

    The deleting runs only when a failed binding of the account is marked ``cleanup_needed``; returns how
    many links it deleted. A platform that is still down leaves both for the next time.
    """
    try:
        bindings_pending_repair(config=config, account_id=account_id)
    except PlatformError as error:
        logger.warning("repair of the pending bindings of account %s postponed: %s", account_id, error)
    marked = Binding.objects.filter(account_id=account_id, cleanup_needed=True)
    if not marked.exists():
        return 0
    active = Binding.objects.filter(account_id=account_id, state=BindingState.ACTIVE)
    keep = set(active.values_list("link_id", flat=True))
    try:
        with _client(config) as api:
            stray = [
                link
                for link in api.links(journal_account_ref=journal_account_ref(account_id))
                if link.id not in keep
            ]
            for link in stray:
                api.link_delete(link_id=link.id)
    except (PlatformUnavailableError, PlatformRefusedError) as error:
        logger.warning("repair of account %s postponed: %s", account_id, error)
        return 0
    marked.update(cleanup_needed=False)
    if stray:
        binding_event_record(
            kind=BindingEventKind.REPAIRED, account_id=account_id, links=[link.id for link in stray]
        )
    return len(stray)


def unlink_allowed(*, account_id: int) -> bool:
    """May the person unlink by themselves? Only when every bound role's policy is ``self``."""
    roles = Binding.objects.filter(account_id=account_id, state=BindingState.ACTIVE).values_list(
        "role", flat=True
    )
    return all(unlink_policy(role) == "self" for role in roles)


def binding_end(
    *,
    config: Config,
    account_id: int,
    actor_id: int | None,
    reason: str = "",
    by_operator: bool = False,
) -> int:
    """End the account's active bindings on the platform and here; the number of rows ended."""
    if not by_operator and not unlink_allowed(account_id=account_id):
        raise UnlinkError(
            "Отвязать учебный профиль от вашей учётной записи можно только через службу технической "
            "поддержки."
        )
    rows = list(Binding.objects.filter(account_id=account_id, state=BindingState.ACTIVE).order_by("pk"))
    if not rows:
        return 0
    link_ids = sorted({row.link_id for row in rows if row.link_id})
    try:
        with _client(config) as api:
            for link_id in link_ids:
                api.link_delete(link_id=link_id)
    except (PlatformUnavailableError, PlatformRefusedError) as error:
        binding_event_record(
            kind=BindingEventKind.UNLINK_FAILED,
            account_id=account_id,
            actor_id=actor_id,
            profile_sub=rows[0].profile_sub,
            error=str(error)[:500],
        )
        if isinstance(error, PlatformRefusedError):
            raise PlatformUnavailableError(str(error)) from error
        raise
    with transaction.atomic():
        _lock_account(account_id)
        ended = Binding.objects.filter(pk__in=[row.pk for row in rows], state=BindingState.ACTIVE).update(
            state=BindingState.ENDED,
            ended_at=timezone.now(),
            ended_by_id=actor_id,
            end_reason=reason or ("по решению поддержки" if by_operator else "отвязано пользователем"),
        )
        binding_event_record(
            kind=BindingEventKind.UNLINKED,
            account_id=account_id,
            actor_id=actor_id,
            profile_sub=rows[0].profile_sub,
            links=link_ids,
            reason=reason,
            by_operator=by_operator,
        )
    link_refusals_clear(account_id=account_id, actor_id=actor_id, reason="отвязка")
    return ended
