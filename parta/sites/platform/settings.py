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
# The provider's own configuration (OAUTH2_PROVIDER) is in the block «ID: OpenID Connect provider» below.
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
    # A trusted friend's code (recovery): the friend has to be reached first, so it lives 30 minutes.
    "friend": {"digits": 6, "lifetime": 1800, "attempts": 5, "resend_after": 120},
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
    # Push codes go into the account's «Сферум» chat as the messenger's bot notice (parta.messenger.public).
    "push": os.environ.get(
        "PARTA_ID_PUSH_SENDER",
        "parta.identity.delivery.dev.DevSender"
        if _ID_DEV_DELIVERY
        else "parta.messenger.public.BotCodeSender",
    ),
    "email": os.environ.get(
        "PARTA_ID_EMAIL_SENDER",
        "parta.identity.delivery.dev.DevSender"
        if _ID_DEV_DELIVERY
        else "parta.identity.delivery.email.DjangoEmailSender",
    ),
    # Trusted friends' recovery codes go into the friend's «Сферум» chat as the messenger's bot notice
    # (parta.messenger.public.BotCodeSender); the dev outbox takes them in the demo and tests.
    "friend": os.environ.get(
        "PARTA_ID_FRIEND_SENDER",
        "parta.identity.delivery.dev.DevSender"
        if _ID_DEV_DELIVERY
        else "parta.messenger.public.BotCodeSender",
    ),
}
# Push goes only to the account's signed-in messenger sessions, listed by the messenger's
# parta.messenger.public.push_sessions (``(*, account_id: int) -> list[str]``). In the demo and tests the
# dev outbox takes the codes instead, and PARTA_ID_DEV_PUSH_PHONES (comma-separated E.164 numbers)
# pretends those accounts have a session (no phones: no push).
PARTA_ID_DEV_PUSH_PHONES = [p for p in os.environ.get("PARTA_ID_DEV_PUSH_PHONES", "").split(",") if p]
PARTA_ID_PUSH_SESSIONS = os.environ.get(
    "PARTA_ID_PUSH_SESSIONS",
    ("parta.identity.delivery.dev.dev_push_sessions" if PARTA_ID_DEV_PUSH_PHONES else "")
    if _ID_DEV_DELIVERY
    else "parta.messenger.public.push_sessions",
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
# Passwords are hashed with Argon2id first, with OWASP's parameters (Password Storage Cheat Sheet: 7 MiB,
# 5 passes, 1 lane; parta/identity/passwords.py, Argon2idHasher); PBKDF2 only verifies old ones. Hashes
# made with Django's heavier defaults still verify and are re-hashed at the next sign-in.
PASSWORD_HASHERS = [
    "parta.identity.passwords.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PARTA_ID_ARGON2_MEMORY_KIB = int(os.environ.get("PARTA_ID_ARGON2_MEMORY_KIB", "7168"))
PARTA_ID_ARGON2_TIME_COST = int(os.environ.get("PARTA_ID_ARGON2_TIME_COST", "5"))
PARTA_ID_ARGON2_PARALLELISM = int(os.environ.get("PARTA_ID_ARGON2_PARALLELISM", "1"))
# The password policy (parta/identity/passwords.py; docs/identity.md, «Пароли»): "nist" — NIST SP 800-63B:
# 8 to 256 characters, not a common password, not like the phone or the names, no composition rules —
# or "seed", which adds manual 001's rule (upper- and lower-case letters, digits and specials).
PARTA_ID_PASSWORD_POLICY = os.environ.get("PARTA_ID_PASSWORD_POLICY", "nist")
PARTA_ID_PASSWORD_MIN_LENGTH = int(os.environ.get("PARTA_ID_PASSWORD_MIN_LENGTH", "8"))
PARTA_ID_PASSWORD_MAX_LENGTH = 256
if PARTA_ID_PASSWORD_POLICY not in {"nist", "seed"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"PARTA_ID_PASSWORD_POLICY={PARTA_ID_PASSWORD_POLICY!r}: нужно «nist» или «seed»."
    )
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "parta.identity.passwords.LengthValidator",
        "OPTIONS": {"min_length": PARTA_ID_PASSWORD_MIN_LENGTH, "max_length": PARTA_ID_PASSWORD_MAX_LENGTH},
    },
    *(
        [{"NAME": "parta.identity.passwords.CharacterClassesValidator"}]
        if PARTA_ID_PASSWORD_POLICY == "seed"
        else []
    ),
    {"NAME": "parta.identity.passwords.CommonPasswordValidator"},
    {"NAME": "parta.identity.passwords.NotLikeAccountValidator"},
]
# Recovery (manual 001): one attempt may take this long from the phone to the new password; the
# support contact named where recovery needs support (no second way to prove the account).
PARTA_ID_RECOVERY_SECONDS = int(os.environ.get("PARTA_ID_RECOVERY_SECONDS", "3600"))
PARTA_ID_SUPPORT_EMAIL = os.environ.get("PARTA_ID_SUPPORT_EMAIL", "")
# The account page: changes that add a way into the account (phone, password without the current one,
# code-generator app, e-mail, trusted friends) need a sign-in this recent, else «Войти ещё раз».
PARTA_ID_RECENT_SIGNIN_SECONDS = int(os.environ.get("PARTA_ID_RECENT_SIGNIN_SECONDS", "900"))
# Trusted friends are found by phone number: at most this many look-ups per account (so the page is no
# directory of who has an account).
PARTA_ID_FRIEND_LOOKUPS = _id_windows("PARTA_ID_FRIEND_LOOKUPS", "20/86400")
# «Активные сеансы»: a signed-in session's «last seen» is written at most this often.
PARTA_ID_SESSION_SEEN_SECONDS = 300
MIDDLEWARE = [*globals()["MIDDLEWARE"], "parta.identity.middleware.AccountSessionMiddleware"]

# --- ID: OpenID Connect provider (parta.identity.oidc; docs/identity.md) ---------------------------
# The ID is an OpenID Connect provider (django-oauth-toolkit) for the journals; docs/identity.md
# («OpenID Connect») explains every value. Journals are registered with `parta platform register_journal`.
import os as _oidc_os  # noqa: E402 -- the provider's block reads its own environment variables

from django.core.exceptions import ImproperlyConfigured as _OidcImproperlyConfigured  # noqa: E402

from parta.identity.oidc.keys import GENERATED_KEY_NAME as _OIDC_GENERATED_KEY_NAME  # noqa: E402
from parta.identity.oidc.keys import previous_key_pems as _oidc_previous_key_pems  # noqa: E402
from parta.identity.oidc.keys import private_key_pem as _oidc_private_key_pem  # noqa: E402
from parta.sites.base import VAR_DIR as _OIDC_VAR_DIR  # noqa: E402


def _oidc_seconds(name: str, default: int, maximum: int | None = None) -> int:
    text = _oidc_os.environ.get(name, str(default))
    if not text.isdigit() or int(text) < 1 or (maximum is not None and int(text) > maximum):
        limit = f"от 1 до {maximum}" if maximum is not None else "больше нуля"
        raise _OidcImproperlyConfigured(f"{name}={text!r}: нужно целое число секунд {limit}.")
    return int(text)


# The issuer: every URL of discovery starts with it, and it is the ID token's `iss`. The endpoints live
# under /id/ of the platform, so the issuer is the platform's public address + "/id".
PARTA_OIDC_ISSUER = _oidc_os.environ.get("PARTA_OIDC_ISSUER", "http://127.0.0.1:8001/id").rstrip("/")
# The RS256 signing key: PEM text, or a PEM file; without either, one generated once into
# PARTA_VAR_DIR/oidc-private-key.pem (0600). After a rotation the previous keys' files stay listed in
# PARTA_OIDC_PREVIOUS_KEY_FILES (comma-separated) until no token they signed is in use.
PARTA_OIDC_PRIVATE_KEY = _oidc_private_key_pem(
    pem=_oidc_os.environ.get("PARTA_OIDC_PRIVATE_KEY", ""),
    path=_oidc_os.environ.get("PARTA_OIDC_PRIVATE_KEY_FILE", ""),
    generated=_OIDC_VAR_DIR / _OIDC_GENERATED_KEY_NAME,
)
PARTA_OIDC_PREVIOUS_KEYS = _oidc_previous_key_pems(_oidc_os.environ.get("PARTA_OIDC_PREVIOUS_KEY_FILES", ""))
# Lifetimes, in seconds: an authorization code at most a minute and an access token at most an hour
# (issue 3); the ID token as long as the access token; a refresh token this long after its access token
# expires (each use rotates it).
PARTA_OIDC_CODE_SECONDS = _oidc_seconds("PARTA_OIDC_CODE_SECONDS", 60, maximum=60)
PARTA_OIDC_ACCESS_TOKEN_SECONDS = _oidc_seconds("PARTA_OIDC_ACCESS_TOKEN_SECONDS", 3600, maximum=3600)
PARTA_OIDC_ID_TOKEN_SECONDS = _oidc_seconds("PARTA_OIDC_ID_TOKEN_SECONDS", 3600, maximum=3600)
PARTA_OIDC_REFRESH_TOKEN_SECONDS = _oidc_seconds("PARTA_OIDC_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600)
# Redirect URIs may use these schemes. The demo's journal answers on http://127.0.0.1; a region
# deployment should set "https" alone.
PARTA_OIDC_REDIRECT_SCHEMES = _oidc_os.environ.get("PARTA_OIDC_REDIRECT_SCHEMES", "http,https").split(",")

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": PARTA_OIDC_ISSUER,
    "OIDC_RSA_PRIVATE_KEY": PARTA_OIDC_PRIVATE_KEY,
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": PARTA_OIDC_PREVIOUS_KEYS,
    "OIDC_SERVER_CLASS": "parta.identity.oidc.server.Server",  # PKCE with S256 only
    "OAUTH2_VALIDATOR_CLASS": "parta.identity.oidc.validators.IdentityValidator",  # claims, checks
    "SCOPES": {
        "openid": "Постоянный идентификатор учебного профиля",
        "phone": "Номер телефона и то, что он подтверждён",
        "edu_profile": "Фамилия, имя, отчество, дата рождения и пол",
    },
    "DEFAULT_SCOPES": ["openid"],
    # The authorization-code flow only, with PKCE (S256) from every client.
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": PARTA_OIDC_REDIRECT_SCHEMES,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": PARTA_OIDC_CODE_SECONDS,
    "ACCESS_TOKEN_EXPIRE_SECONDS": PARTA_OIDC_ACCESS_TOKEN_SECONDS,
    "ID_TOKEN_EXPIRE_SECONDS": PARTA_OIDC_ID_TOKEN_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": PARTA_OIDC_REFRESH_TOKEN_SECONDS,
    # Each refresh returns a new refresh token; presenting a used one revokes the whole family (every
    # refresh token descended from the same code, and their access tokens). No grace period.
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    # RP-initiated logout: no question when the id_token_hint is the signed-in person's own.
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    # RFC 9700 (OAuth 2.0 Security BCP), enforced now rather than at django-oauth-toolkit 4.0: no implicit
    # or password grant, no "plain" PKCE, no access token in a query string, `iss` in every
    # authorization response (RFC 9207), tokens stored only as SHA-256, and `check --deploy` errors if
    # reuse protection, PKCE or exact redirect URIs are ever turned off (and http, once https alone is set).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": "http" not in PARTA_OIDC_REDIRECT_SCHEMES,
}


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


# --- Messenger: chats, real time (parta.messenger; docs/messenger.md) -------------------------------
# Real time goes through a Channels layer: Redis when REDIS_URL is set (any number of servers), else the
# in-memory layer, which reaches only the sockets of this one process (the embedded default runs one
# server process per side).
from parta.sites.base import VAR_DIR as _MESSENGER_VAR_DIR  # noqa: E402

if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's defaults (a 5 s read timeout, 100 connections) drop idle sockets and refuse
                # a crowd of connections under channels_redis (bench/ws_fanout.py); the URL's own
                # ?socket_timeout=…&max_connections=… still win over these.
                "hosts": [
                    {"address": os.environ["REDIS_URL"], "socket_timeout": 30, "max_connections": 1000}
                ],
                "prefix": os.environ.get("PARTA_MESSENGER_CHANNELS_PREFIX", "parta-platform"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Attachments are kept by Django's default storage (files under MEDIA_ROOT) and served only through the
# messenger, to members of the chat: MEDIA_ROOT must not be published by the web server.
MEDIA_ROOT = os.environ.get("PARTA_MEDIA_ROOT", str(_MESSENGER_VAR_DIR / "media-platform"))
# A profile that is only a student in the organizations it shares with somebody may start a direct chat
# with them (0: only teachers, staff and parents start them; students still answer).
PARTA_MESSENGER_STUDENTS_START_DIRECT = env_bool("PARTA_MESSENGER_STUDENTS_START_DIRECT", True)
PARTA_MESSENGER_MESSAGE_MAX_LENGTH = int(os.environ.get("PARTA_MESSENGER_MESSAGE_MAX_LENGTH", "4096"))
# History pages and the most missed messages one chat replays on reconnect (more: the page reloads).
PARTA_MESSENGER_PAGE_SIZE = 50
PARTA_MESSENGER_CATCHUP_LIMIT = 500
# Attachments: the largest file in bytes (10 MB), and the allowed extensions with the content type each is
# served with ("jpg=image/jpeg,pdf=application/pdf,…"; empty: the list in parta/messenger/conf.py).
PARTA_MESSENGER_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("PARTA_MESSENGER_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
)
PARTA_MESSENGER_ATTACHMENT_TYPES = dict(
    item.strip().split("=", 1)
    for item in os.environ.get("PARTA_MESSENGER_ATTACHMENT_TYPES", "").split(",")
    if "=" in item
)

# --- Messenger: API v1 and webhooks (parta.messenger.api; docs/api.md) ------------------------------
# Seconds to wait after the 1st, 2nd, … failed webhook try (1 min … 24 h); after the last the event is
# given up (so 8 tries by default). A try without an answer in PARTA_MESSENGER_WEBHOOK_TIMEOUT seconds
# counts as failed. "60,300,…" in the environment overrides the list.
_WEBHOOK_BACKOFF = os.environ.get("PARTA_MESSENGER_WEBHOOK_BACKOFF", "60,300,1800,7200,21600,43200,86400")
PARTA_MESSENGER_WEBHOOK_BACKOFF = [int(seconds) for seconds in _WEBHOOK_BACKOFF.split(",")]
PARTA_MESSENGER_WEBHOOK_TIMEOUT = float(os.environ.get("PARTA_MESSENGER_WEBHOOK_TIMEOUT", "10"))
# The platform's public address for links the API hands out (chat pages), e.g. https://sferum.example;
# empty: the address the journal called the API at.
PARTA_MESSENGER_PUBLIC_URL = os.environ.get("PARTA_MESSENGER_PUBLIC_URL", "")
# The largest request body Django reads (not counting uploaded files): a groups:sync batch of 100,000
# members is about 4 MB of JSON. Django's default is 2.5 MB; larger API bodies get 413 with a detail.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("PARTA_MAX_REQUEST_BYTES", str(16 * 1024 * 1024)))


# --- Messenger: bot, conferences (parta.messenger; docs/messenger-bot.md, docs/video.md) ----------------
# How long the community bot's link request («Подключить» / «Не подключать», manual 003) waits for an
# answer; then it expires and the journal is told (webhook link_request.expired).
PARTA_MESSENGER_LINK_REQUEST_SECONDS = int(os.environ.get("PARTA_MESSENGER_LINK_REQUEST_SECONDS", "86400"))
# Periodic tasks, queued by the task workers themselves (``parta platform tasks_worker``; no cron:
# parta/core/periodic.py, docs/messenger-bot.md): every PARTA_MESSENGER_BOT_EXPIRE_SECONDS the bot's
# requests nobody answered in time are closed (link requests tell their journals link_request.expired).
# 0 switches it off — for an operator who runs ``parta platform bot_expire`` from cron instead.
PARTA_PERIODIC_TASKS = {
    "messenger.bot_expire": {
        "task": "parta.messenger.tasks.bot_expire",
        "every": int(os.environ.get("PARTA_MESSENGER_BOT_EXPIRE_SECONDS", "60")),
    },
}
# Dev and tests only: a file holding seconds added to the platform's clock (parta/core/clock.py), so a
# browser test can move time past a conference's start. Ignored on a production site.
PARTA_CLOCK_OFFSET_FILE = (
    os.environ.get("PARTA_CLOCK_OFFSET_FILE", "")
    if PARTA_DEV_OUTBOX or env_bool("PARTA_TESTING", False)
    else ""
)
