from parta.messenger.models.bot import BotButton, BotRequest
from parta.messenger.models.chats import GROUP_KINDS, Chat, ChatKind, ChatMember
from parta.messenger.models.conferences import Conference, ConferenceKind, ConferenceParticipant
from parta.messenger.models.link_requests import LinkRequest, LinkRequestState
from parta.messenger.models.links import Link
from parta.messenger.models.messages import Attachment, Message
from parta.messenger.models.organizations import ROLE_ORDER, Membership, Organization, Role
from parta.messenger.models.webhooks import DeliveryStatus, WebhookAttempt, WebhookEndpoint, WebhookEvent

__all__ = [
    "GROUP_KINDS",
    "ROLE_ORDER",
    "Attachment",
    "BotButton",
    "BotRequest",
    "Chat",
    "ChatKind",
    "ChatMember",
    "Conference",
    "ConferenceKind",
    "ConferenceParticipant",
    "DeliveryStatus",
    "Link",
    "LinkRequest",
    "LinkRequestState",
    "Membership",
    "Message",
    "Organization",
    "Role",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookEvent",
]
