"""The platform side: the ID (sign-in, /id/) and the educational messenger («Сферум»)."""

from parta.sites.base import build, env_bool

globals().update(
    build(
        side="platform",
        apps=["oauth2_provider", "parta.identity", "parta.messenger"],
        root_urlconf="parta.sites.platform.urls",
    )
)

AUTH_USER_MODEL = "identity.Account"

# Codes the ID "sends" land in the dev outbox at /dev/outbox/ (only when PARTA_DEV_OUTBOX=1).
PARTA_DEV_OUTBOX = env_bool("PARTA_DEV_OUTBOX", False)

# Names are settings: where a manual says «VK ID» or «VK Мессенджер», the screens use these.
PARTA_PLATFORM_NAME = "Сферум"
PARTA_ID_NAME = "Сферум ID"
PARTA_MESSENGER_NAME = "Сферум Мессенджер"

# django-oauth-toolkit's models, named as settings because its migrations refer to them as swappable.
# The ID's OIDC configuration itself (OAUTH2_PROVIDER) is in docs/identity.md.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"

# Where the ID's authorize endpoint sends a browser that has not gone through the sign-in screens.
LOGIN_URL = "identity:signin"

# --- ID: codes, delivery, passwords, rate limits (parta.identity; docs/identity.md) ---------------

# --- ID: OpenID Connect provider (parta.identity.oidc; docs/identity.md) ---------------------------
