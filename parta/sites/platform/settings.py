"""The platform side: the ID (sign-in, /id/) and the educational messenger («Сферум»)."""

from parta.sites.base import build, env_bool

globals().update(
    build(
        side="platform",
        apps=["parta.identity", "parta.messenger"],
        root_urlconf="parta.sites.platform.urls",
    )
)

AUTH_USER_MODEL = "identity.Account"

# Codes the ID "sends" land in the dev outbox at /dev/outbox/ (only when PARTA_DEV_OUTBOX=1).
PARTA_DEV_OUTBOX = env_bool("PARTA_DEV_OUTBOX", False)

PARTA_PLATFORM_NAME = "Сферум"
PARTA_ID_NAME = "Сферум ID"
PARTA_MESSENGER_NAME = "Сферум Мессенджер"
