from parta.identity.models.accounts import Account
from parta.identity.models.audit import AuditEvent, AuditKind
from parta.identity.models.clients import JournalClient, api_token_digest
from parta.identity.models.codes import Code, CodeChannel, CodePurpose, CodeState, Throttle, ThrottleHit
from parta.identity.models.outbox import DevMessage
from parta.identity.models.profiles import EducationalProfile, Gender

__all__ = [
    "Account",
    "AuditEvent",
    "AuditKind",
    "Code",
    "CodeChannel",
    "CodePurpose",
    "CodeState",
    "DevMessage",
    "EducationalProfile",
    "Gender",
    "JournalClient",
    "Throttle",
    "ThrottleHit",
    "api_token_digest",
]
