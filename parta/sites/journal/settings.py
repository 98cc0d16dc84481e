"""The journal side: the school e-journal and its «Интеграция со Сферум» plugin."""

from parta.sites.base import build, env_bool

globals().update(
    build(
        side="journal",
        apps=["parta.journal", "parta.integration"],
        root_urlconf="parta.sites.journal.urls",
        context_processors=("parta.journal.context.journal",),
        # The sync runs a school per task: four at a time is the fastest on two cores (bench/RESULTS.md).
        worker_processes_on_postgresql=4,
    )
)

AUTH_USER_MODEL = "journal.Account"
LOGIN_URL = "journal:login"
LOGIN_REDIRECT_URL = "journal:home"
LOGOUT_REDIRECT_URL = "journal:login"

# Login throttling: after SLOW_AFTER wrong passwords each answer waits, after LOCK_AFTER the login
# is locked for LOCK_MINUTES. The answer never says whether the login exists.
PARTA_LOGIN_SLOW_AFTER = 3
PARTA_LOGIN_LOCK_AFTER = 8
PARTA_LOGIN_LOCK_MINUTES = 15
PARTA_LOGIN_DELAY_SECONDS = 0.0 if env_bool("PARTA_TESTING", False) else 1.0

# The journal's display name, as the ID shows it: «С сервисом «…» можно связать свой учебный профиль».
PARTA_JOURNAL_NAME = "Электронная школа"

# --- Integration «Интеграция со Сферум» (parta.integration; docs/integration.md) -----------------------
# The ID's client id and secret, the issuer and the API v1 token come from the environment, else from the
# credentials file written by `parta platform register_journal --credentials-file` (the demo's file).
import os as _integration_os  # noqa: E402

from parta.sites.base import VAR_DIR as _INTEGRATION_VAR_DIR  # noqa: E402

PARTA_INTEGRATION_CREDENTIALS_FILE = _integration_os.environ.get(
    "PARTA_INTEGRATION_CREDENTIALS_FILE", str(_INTEGRATION_VAR_DIR / "demo-journal-client.json")
)
PARTA_INTEGRATION_CLIENT_ID = _integration_os.environ.get("PARTA_INTEGRATION_CLIENT_ID", "")
PARTA_INTEGRATION_CLIENT_SECRET = _integration_os.environ.get("PARTA_INTEGRATION_CLIENT_SECRET", "")
PARTA_INTEGRATION_ISSUER = _integration_os.environ.get("PARTA_INTEGRATION_ISSUER", "")  # …/id
PARTA_INTEGRATION_API_TOKEN = _integration_os.environ.get("PARTA_INTEGRATION_API_TOKEN", "")
# Default: the issuer without "/id" is the platform (its messenger root), and "…/api/v1" its API.
PARTA_INTEGRATION_PLATFORM_URL = _integration_os.environ.get("PARTA_INTEGRATION_PLATFORM_URL", "")
PARTA_INTEGRATION_API_URL = _integration_os.environ.get("PARTA_INTEGRATION_API_URL", "")
PARTA_INTEGRATION_REDIRECT_URI = _integration_os.environ.get("PARTA_INTEGRATION_REDIRECT_URI", "")
PARTA_INTEGRATION_TIMEOUT = float(_integration_os.environ.get("PARTA_INTEGRATION_TIMEOUT", "5"))
# A «pending» binding older than this (seconds) was left by a crash; the next attempt repairs it.
PARTA_INTEGRATION_PENDING_STALE = float(_integration_os.environ.get("PARTA_INTEGRATION_PENDING_STALE", "600"))
PARTA_INTEGRATION_ID_NAME = "Сферум ID"  # «Привязать учебный профиль {ID name}» (manual 002)
PARTA_INTEGRATION_PLATFORM_NAME = "Сферум"
# How accounts link: through the ID (000, 001, 002, 004), confirmed in the messenger (003), or both.
PARTA_INTEGRATION_LINKING = _integration_os.environ.get("PARTA_INTEGRATION_LINKING", "both")
# Webhooks from the platform (/integration/webhooks/sphere/): the signing secret `whsec_…` printed by
# `parta platform webhook_endpoint`, or a file holding it (`make demo` writes the demo's file).
PARTA_INTEGRATION_WEBHOOK_SECRET = _integration_os.environ.get("PARTA_INTEGRATION_WEBHOOK_SECRET", "")
PARTA_INTEGRATION_WEBHOOK_SECRET_FILE = _integration_os.environ.get(
    "PARTA_INTEGRATION_WEBHOOK_SECRET_FILE", str(_INTEGRATION_VAR_DIR / "demo-journal-webhook-secret")
)
# Who may unlink: `self` («Отвязать учетную запись») or `support_only` (the operator, with a reason), per
# role; env PARTA_INTEGRATION_UNLINK_POLICY="teacher=support_only,*=self".
PARTA_INTEGRATION_UNLINK_POLICY = {
    "*": "self",
    **dict(
        item.split("=", 1)
        for item in _integration_os.environ.get("PARTA_INTEGRATION_UNLINK_POLICY", "").split(",")
        if "=" in item
    ),
}
# Roster → chats (docs/sync.md): titles ({class_title}, {school}, {subject}), subject chats, the safety
# threshold of removals per school run (max(share × members, minimum)), batches and retry back-off.
PARTA_SYNC_AUTO = _integration_os.environ.get("PARTA_SYNC_AUTO", "1") != "0"  # journal changes queue runs
PARTA_SYNC_SUBJECT_CHATS = _integration_os.environ.get("PARTA_SYNC_SUBJECT_CHATS", "0") == "1"
PARTA_SYNC_TITLES = {
    "staff": "Учительская — {school}",
    "class": "{class_title} класс",
    "parents": "{class_title} Родители",
    "subject": "{class_title} {subject}",
}
PARTA_SYNC_HOLD_SHARE = float(_integration_os.environ.get("PARTA_SYNC_HOLD_SHARE", "0.01"))
PARTA_SYNC_HOLD_MIN = int(_integration_os.environ.get("PARTA_SYNC_HOLD_MIN", "500"))
PARTA_SYNC_BATCH_GROUPS = 500  # groups per groups:sync request (the platform takes up to 5000)
PARTA_SYNC_BACKOFF = (5, 30, 120, 600, 1800)  # seconds before the 1st, 2nd, … retry of a failed run
# The periodic full reconcile, queued by the journal's task workers themselves (`parta worker journal`,
# `make demo`; parta/core/periodic.py, docs/sync.md): every PARTA_SYNC_PERIODIC_SECONDS the outbox is read
# and every school changed since its last run is reconciled; every PARTA_SYNC_DEEP_SECONDS every school is
# (the nightly safety net). 0 switches one off — for an operator who runs `parta sync --all` from cron.
PARTA_PERIODIC_TASKS = {
    "integration.sync_all": {
        "task": "parta.integration.tasks.sync_all_task",
        "every": int(_integration_os.environ.get("PARTA_SYNC_PERIODIC_SECONDS", "600")),
    },
    "integration.sync_all_deep": {
        "task": "parta.integration.tasks.sync_all_deep_task",
        "every": int(_integration_os.environ.get("PARTA_SYNC_DEEP_SECONDS", "86400")),
    },
    # Bindings a crash left pending, links the platform kept after a lost answer or a refused
    # confirmation (`parta journal integration_repair` does the same by hand; docs/integration.md).
    "integration.repair": {
        "task": "parta.integration.tasks.integration_repair_task",
        "every": int(_integration_os.environ.get("PARTA_INTEGRATION_REPAIR_SECONDS", "300")),
    },
}
