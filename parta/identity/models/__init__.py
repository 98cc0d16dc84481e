from parta.identity.models.accounts import Account
from parta.identity.models.clients import JournalClient, api_token_digest
from parta.identity.models.outbox import DevMessage
from parta.identity.models.profiles import EducationalProfile, Gender

__all__ = ["Account", "DevMessage", "EducationalProfile", "Gender", "JournalClient", "api_token_digest"]
