"""Every write of the messenger. Each action validates, changes rows in one transaction, and publishes
its real-time event with ``transaction.on_commit`` (see :mod:`parta.messenger.events`)."""

from parta.messenger.actions.chats import (
    MembersChange,
    chat_archive,
    chat_create,
    chat_members_apply,
    chat_members_set,
    chat_update,
    community_chat_of,
    direct_chat_open,
)
from parta.messenger.actions.errors import MessengerError
from parta.messenger.actions.messages import attachment_check, message_read, message_send
from parta.messenger.actions.organizations import membership_set, organization_register
from parta.messenger.actions.webhooks import endpoint_set, webhook_queue

__all__ = [
    "MembersChange",
    "MessengerError",
    "attachment_check",
    "chat_archive",
    "chat_create",
    "chat_members_apply",
    "chat_members_set",
    "chat_update",
    "community_chat_of",
    "direct_chat_open",
    "endpoint_set",
    "membership_set",
    "message_read",
    "message_send",
    "organization_register",
    "webhook_queue",
]
