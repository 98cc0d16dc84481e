from parta.integration.models.bindings import (
    Binding,
    BindingEvent,
    BindingEventKind,
    BindingState,
    LinkRefusal,
)
from parta.integration.models.ledger import (
    SyncChange,
    SyncChangeKind,
    SyncConference,
    SyncCursor,
    SyncGroup,
    SyncMember,
    SyncReason,
    SyncSchool,
    SyncStatus,
)
from parta.integration.models.link_requests import LinkRequestState, MessengerLinkRequest
from parta.integration.models.notices import NewYearNotice
from parta.integration.models.webhooks import ReceivedWebhook

__all__ = [
    "Binding",
    "BindingEvent",
    "BindingEventKind",
    "BindingState",
    "LinkRefusal",
    "LinkRequestState",
    "MessengerLinkRequest",
    "NewYearNotice",
    "ReceivedWebhook",
    "SyncChange",
    "SyncChangeKind",
    "SyncConference",
    "SyncCursor",
    "SyncGroup",
    "SyncMember",
    "SyncReason",
    "SyncSchool",
    "SyncStatus",
]
