from parta.identity.models.accounts import Account
from parta.identity.models.audit import AuditEvent, AuditKind
from parta.identity.models.clients import JournalClient, OidcAuthTime, api_token_digest
from parta.identity.models.codes import Code, CodeChannel, CodePurpose, CodeState, Throttle, ThrottleHit
from parta.identity.models.factors import TotpDevice, TrustedFriend
from parta.identity.models.outbox import DevMessage
from parta.identity.models.profiles import EducationalProfile, Gender
from parta.identity.models.recovery import Recovery, RecoveryMethod
from parta.identity.models.sessions import AccountSession

__all__ = [
    "Account",
    "AccountSession",
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
    "OidcAuthTime",
    "Recovery",
    "RecoveryMethod",
    "Throttle",
    "ThrottleHit",
    "TotpDevice",
    "TrustedFriend",
    "api_token_digest",
]
