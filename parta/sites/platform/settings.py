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
# Every default below, and where it comes from, is in docs/identity.md ("Codes and their limits").


def _id_windows(name: str, default: str) -> list[tuple[int, int]]:
    """«5/600,10/86400» → [(5, 600), (10, 86400)]: at most N events per window of S seconds."""
    text = os.environ.get(name, default)
    return [(int(count), int(seconds)) for count, seconds in (part.split("/") for part in text.split(","))]


# Without a real gateway configured, the ID "sends" into the dev outbox (demo, tests).
_ID_DEV_DELIVERY = PARTA_DEV_OUTBOX or env_bool("PARTA_TESTING", False)

# One-time codes per channel: digits (from `secrets`), lifetime in seconds, wrong tries before the code
# dies, and seconds before the same channel may send again — the screens' timers («Отправить SMS через
# 1:53», «Звонок поступит в течение 00:56», «Отправить код повторно 4:51»), enforced by the server.
# A call-reset code is the last 4 digits of the calling number, so it has 4 digits and fewer tries.
PARTA_ID_CODES = {
    "sms": {"digits": 6, "lifetime": 600, "attempts": 5, "resend_after": 120},
    "push": {"digits": 6, "lifetime": 600, "attempts": 5, "resend_after": 60},
    "call": {"digits": 4, "lifetime": 600, "attempts": 3, "resend_after": 60},
    "email": {"digits": 6, "lifetime": 900, "attempts": 5, "resend_after": 300},
}
# Wrong codes for one phone (or address), any code, any channel: this many in 24 h blocks the number for
# PARTA_ID_WRONG_CODES_LOCK_SECONDS. A new code does not reset the count; a confirmed code does.
PARTA_ID_WRONG_CODES_PER_DAY = 20
PARTA_ID_WRONG_CODES_LOCK_SECONDS = 3600
# Codes sent to one phone (or address): at most 5 in 10 minutes and 10 in 24 hours.
PARTA_ID_SENDS_PER_TARGET = _id_windows("PARTA_ID_SENDS_PER_TARGET", "5/600,10/86400")
# Per network address: codes sent, and phone numbers entered on «Вход». Generous, because a whole school
# often reaches the Internet through one address.
PARTA_ID_SENDS_PER_IP = _id_windows("PARTA_ID_SENDS_PER_IP", "30/600,300/86400")
PARTA_ID_PHONE_STEPS_PER_IP = _id_windows("PARTA_ID_PHONE_STEPS_PER_IP", "60/600,600/86400")
# Wrong passwords for one account: this many in an hour lock password sign-in for an hour.
PARTA_ID_WRONG_PASSWORDS = _id_windows("PARTA_ID_WRONG_PASSWORDS", "10/3600")
PARTA_ID_WRONG_PASSWORDS_LOCK_SECONDS = 3600
# Only Russian mobile numbers sign in (the manuals' platform); 0 accepts any valid number.
PARTA_ID_RUSSIAN_MOBILE_ONLY = env_bool("PARTA_ID_RUSSIAN_MOBILE_ONLY", True)
# The first way a sign-in code is sent when no push is possible: "sms" or "call".
PARTA_ID_SIGNIN_CHANNEL = os.environ.get("PARTA_ID_SIGNIN_CHANNEL", "sms")
# Behind a reverse proxy: the request header that carries the client's address (e.g. HTTP_X_REAL_IP).
PARTA_ID_CLIENT_IP_HEADER = os.environ.get("PARTA_ID_CLIENT_IP_HEADER", "")

# Delivery: one sender per channel (dotted path of a class; see parta/identity/delivery/).
PARTA_ID_SENDERS = {
    "sms": os.environ.get(
        "PARTA_ID_SMS_SENDER",
        "parta.identity.delivery.dev.DevSender"
        if _ID_DEV_DELIVERY
        else "parta.identity.delivery.disabled.DisabledSender",
    ),
    "call": os.environ.get(
        "PARTA_ID_CALL_SENDER",
        "parta.identity.delivery.dev.DevSender"
        if _ID_DEV_DELIVERY
        else "parta.identity.delivery.disabled.DisabledSender",
    ),
    "push": os.environ.get(
        "PARTA_ID_PUSH_SENDER",
        "parta.identity.delivery.dev.DevSender"
        if _ID_DEV_DELIVERY
        else "parta.identity.delivery.disabled.DisabledSender",
    ),
    "email": os.environ.get(
        "PARTA_ID_EMAIL_SENDER",
        "parta.identity.delivery.dev.DevSender"
        if _ID_DEV_DELIVERY
        else "parta.identity.delivery.email.DjangoEmailSender",
    ),
}
# Push goes only to the account's signed-in messenger sessions. The messenger names the function that
# lists them (``(*, account_id: int) -> list[str]``); until then no push is possible. In the demo,
# PARTA_ID_DEV_PUSH_PHONES (comma-separated E.164 numbers) pretends those accounts have a session.
PARTA_ID_DEV_PUSH_PHONES = [p for p in os.environ.get("PARTA_ID_DEV_PUSH_PHONES", "").split(",") if p]
PARTA_ID_PUSH_SESSIONS = os.environ.get(
    "PARTA_ID_PUSH_SESSIONS",
    "parta.identity.delivery.dev.dev_push_sessions" if PARTA_DEV_OUTBOX and PARTA_ID_DEV_PUSH_PHONES else "",
)
# SMS.ru (https://sms.ru/api): PARTA_ID_SMS_SENDER=parta.identity.delivery.smsru.SmsRuSender, and the
# same class for PARTA_ID_CALL_SENDER (call-reset through its /code/call).
PARTA_SMSRU_API_ID = os.environ.get("PARTA_SMSRU_API_ID", "")
PARTA_SMSRU_URL = os.environ.get("PARTA_SMSRU_URL", "https://sms.ru")
PARTA_SMSRU_FROM = os.environ.get("PARTA_SMSRU_FROM", "")
PARTA_SMSRU_TEST = env_bool("PARTA_SMSRU_TEST", False)
PARTA_SMSRU_TIMEOUT = float(os.environ.get("PARTA_SMSRU_TIMEOUT", "10"))
# E-mail codes go through Django's e-mail backend (SMTP by default).
EMAIL_HOST = os.environ.get("PARTA_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("PARTA_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("PARTA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PARTA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PARTA_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("PARTA_EMAIL_FROM", f"{PARTA_ID_NAME} <noreply@localhost>")
# Passwords are hashed with Argon2id first (Django's Argon2PasswordHasher); PBKDF2 only verifies old ones.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

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
