"""The platform side: the ID (sign-in, /id/) and the educational messenger («Сферум»)."""

import os

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

# --- Messenger: video engines (parta.messenger.video; docs/video.md) --------------------------------
# Which engine runs the conferences: "bigbluebutton", "jitsi", or "none" — the default, under which every
# link is refused with «Видеоконференции не настроены: обратитесь к администратору платформы».

PARTA_VIDEO_ENGINE = os.environ.get("PARTA_VIDEO_ENGINE", "none")
# A conference's link is given from its start minus this many seconds until its end.
PARTA_VIDEO_JOIN_GRACE_SECONDS = int(os.environ.get("PARTA_VIDEO_JOIN_GRACE_SECONDS", "300"))
# BigBlueButton 2.4+ (or Scalelite): the URL and secret `bbb-conf --secret` prints; the checksum's hash
# (sha1, sha256, sha384 or sha512 — one the server's supportedChecksumAlgorithms lists); seconds to wait.
PARTA_BBB_URL = os.environ.get("PARTA_BBB_URL", "")
PARTA_BBB_SECRET = os.environ.get("PARTA_BBB_SECRET", "")
PARTA_BBB_CHECKSUM = os.environ.get("PARTA_BBB_CHECKSUM", "sha256")
PARTA_BBB_TIMEOUT = float(os.environ.get("PARTA_BBB_TIMEOUT", "10"))
# Jitsi Meet with token authentication: the site's URL (with the tenant, if any), Prosody's app_id and
# app_secret, the token's aud and sub (sub defaults to the tenant or the URL's host), and how many seconds
# after the end the token stays valid for reconnecting.
PARTA_JITSI_URL = os.environ.get("PARTA_JITSI_URL", "")
PARTA_JITSI_APP_ID = os.environ.get("PARTA_JITSI_APP_ID", "")
PARTA_JITSI_APP_SECRET = os.environ.get("PARTA_JITSI_APP_SECRET", "")
PARTA_JITSI_AUDIENCE = os.environ.get("PARTA_JITSI_AUDIENCE", "jitsi")
PARTA_JITSI_SUBJECT = os.environ.get("PARTA_JITSI_SUBJECT", "")
PARTA_JITSI_TOKEN_TAIL_SECONDS = int(os.environ.get("PARTA_JITSI_TOKEN_TAIL_SECONDS", "300"))
