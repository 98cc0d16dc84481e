"""The journal side: the school e-journal and its «Интеграция со Сферум» plugin."""

from parta.sites.base import build, env_bool

globals().update(
    build(
        side="journal",
        apps=["parta.journal", "parta.integration"],
        root_urlconf="parta.sites.journal.urls",
        context_processors=("parta.journal.context.journal",),
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
