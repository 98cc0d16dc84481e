from parta.identity.models.accounts import Account
from parta.identity.models.outbox import DevMessage

__all__ = ["Account", "DevMessage"]
