"""Every write of the integration: linking, unlinking, repair, with their audit trail."""

from parta.integration.actions.bindings import (
    binding_create,
    binding_end,
    bindings_extend,
    bindings_pending_repair,
    bindings_repair,
    bindings_repair_due,
    link_refusals_clear,
    unlink_allowed,
)
from parta.integration.actions.errors import (
    UNAVAILABLE,
    LinkError,
    NotStoredError,
    PlatformUnavailableError,
    UnlinkError,
)
from parta.integration.actions.link_requests import (
    link_request_apply,
    link_request_refresh,
    link_request_start,
)
from parta.integration.actions.notices import new_year_notice_take
from parta.integration.actions.sync import (
    sync_account_changed,
    sync_approve,
    sync_mark_dirty,
    sync_outbox_pump,
    sync_plan,
    sync_school,
)
from parta.integration.actions.webhooks import webhook_receive

__all__ = [
    "UNAVAILABLE",
    "LinkError",
    "NotStoredError",
    "PlatformUnavailableError",
    "UnlinkError",
    "binding_create",
    "binding_end",
    "bindings_extend",
    "bindings_pending_repair",
    "bindings_repair",
    "bindings_repair_due",
    "link_refusals_clear",
    "link_request_apply",
    "link_request_refresh",
    "link_request_start",
    "new_year_notice_take",
    "sync_account_changed",
    "sync_approve",
    "sync_mark_dirty",
    "sync_outbox_pump",
    "sync_plan",
    "sync_school",
    "unlink_allowed",
    "webhook_receive",
]
