"""Settings for mypy only: django-stubs reads one settings module, so this one installs the apps of both
sides. No server runs with it; the sides themselves never share a process or a database."""

from parta.sites.base import build

globals().update(
    build(
        side="typecheck",
        apps=["parta.journal", "parta.integration", "oauth2_provider", "parta.identity", "parta.messenger"],
        root_urlconf="parta.sites.journal.urls",
    )
)
AUTH_USER_MODEL = "journal.Account"
PARTA_DEV_OUTBOX = False
PARTA_LOGIN_SLOW_AFTER = 3
PARTA_LOGIN_LOCK_AFTER = 8
PARTA_LOGIN_LOCK_MINUTES = 15
PARTA_LOGIN_DELAY_SECONDS = 0.0
PARTA_JOURNAL_NAME = ""
PARTA_PLATFORM_NAME = ""
PARTA_ID_NAME = ""
PARTA_MESSENGER_NAME = ""
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
