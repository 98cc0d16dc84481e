"""Settings shared by both sides. Each side's ``settings.py`` calls :func:`build` and adds its own apps.

Everything an operator may change comes from the environment, so one code base serves the embedded
demo (SQLite files under ``var/``) and a region deployment (PostgreSQL and Redis).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PARTA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_pool() -> dict[str, Any] | None:
    """psycopg's connection pool options for PostgreSQL, or ``None`` with ``PARTA_DB_POOL=0``.

    ``PARTA_DB_POOL_MIN_SIZE`` connections stay open per process (the web server, each worker, each
    command); up to ``PARTA_DB_POOL_MAX_SIZE`` are opened under load, and a request waits at most
    ``PARTA_DB_POOL_TIMEOUT`` seconds for a free one.
    """
    if not env_bool("PARTA_DB_POOL", True):
        return None
    return {
        "min_size": int(os.environ.get("PARTA_DB_POOL_MIN_SIZE", "2")),
        "max_size": int(os.environ.get("PARTA_DB_POOL_MAX_SIZE", "10")),
        "timeout": float(os.environ.get("PARTA_DB_POOL_TIMEOUT", "10")),
        # Idle connections above min_size are closed after this many seconds.
        "max_idle": float(os.environ.get("PARTA_DB_POOL_MAX_IDLE", "300")),
    }


def _jit_off(config: dict[str, Any]) -> None:
    """PostgreSQL's JIT off for both sides' connections, unless the URL's ``options`` set ``jit``.

    Every statement here is short, but a fresh region's tables fill from empty before autovacuum has
    analyzed them, and a cost estimate made without statistics can pass ``jit_above_cost``: a 2 ms read
    of a batch's chat members then spent 94 ms compiling itself (bench/RESULTS.md)."""
    options = config.setdefault("OPTIONS", {})
    given = str(options.get("options", ""))
    if "jit" not in given:
        options["options"] = f"{given} -c jit=off".strip()


def database(side: str) -> dict[str, Any]:
    """The side's database: ``PARTA_<SIDE>_DATABASE_URL``, else ``DATABASE_URL``, else SQLite in var/.

    On PostgreSQL both sides may point at one server: each side's test database gets its own name.
    """
    url = os.environ.get(f"PARTA_{side.upper()}_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        config["TEST"] = {"NAME": f"test_parta_{side}"}
        if config["ENGINE"] == "django.db.backends.postgresql":
            _jit_off(config)
        pool = database_pool()
        if pool and config["ENGINE"] == "django.db.backends.postgresql":
            # Under ASGI every request runs in its own thread, so a persistent connection
            # (CONN_MAX_AGE) is never reused: each request would connect anew. psycopg's pool keeps
            # the connections instead; Django requires CONN_MAX_AGE = 0 with it.
            config["CONN_MAX_AGE"] = 0
            config.setdefault("OPTIONS", {})["pool"] = pool
        return config
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / f"{side}.sqlite3"),
        # Each of the HTTP server's threads keeps its connection (parta/core/asgi.py): no connect, no
        # PRAGMAs per request.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # WAL lets the web server and the task worker read while the other writes.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        },
        "TEST": {
            "NAME": str(VAR_DIR / f"test_{side}.sqlite3") if env_bool("PARTA_TEST_DB_FILE", False) else ""
        },
    }


def caches() -> dict[str, Any]:
    url = os.environ.get("REDIS_URL")
    if url:
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def worker_processes(db: dict[str, Any], on_postgresql: int) -> int:
    """How many processes ``parta worker <side>`` runs: ``PARTA_WORKER_PROCESSES``, else one on SQLite
    (one writer at a time) and ``on_postgresql`` on PostgreSQL (parta/core/management/commands/
    tasks_worker.py)."""
    configured = os.environ.get("PARTA_WORKER_PROCESSES", "").strip()
    if configured:
        return max(1, int(configured))
    return on_postgresql if db["ENGINE"] == "django.db.backends.postgresql" else 1


def build(
    *,
    side: str,
    apps: list[str],
    root_urlconf: str,
    context_processors: tuple[str, ...] = (),
    worker_processes_on_postgresql: int = 1,
) -> dict[str, Any]:
    """The settings dictionary of one side; the side's module copies it into its globals."""
    debug = env_bool("PARTA_DEBUG", False)
    db = database(side)
    static_root = VAR_DIR / f"static-{side}"
    static_root.mkdir(parents=True, exist_ok=True)
    secret = os.environ.get("PARTA_SECRET_KEY") or f"parta-{side}-insecure-development-key-change-me"
    return {
        "BASE_DIR": BASE_DIR,
        "DEBUG": debug,
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": os.environ.get("PARTA_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(
            ","
        ),
        "INSTALLED_APPS": [
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "whitenoise.runserver_nostatic",
            "django.contrib.staticfiles",
            "template_partials",
            "django_tasks",
            "django_tasks_db",
            "parta.core",  # the periodic tasks' schedule and their worker (parta/core/periodic.py)
            *apps,
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.locale.LocaleMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": root_urlconf,
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        *context_processors,
                    ],
                },
            }
        ],
        "DATABASES": {"default": db},
        "PARTA_WORKER_PROCESSES": worker_processes(db, worker_processes_on_postgresql),
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "CACHES": caches(),
        "PASSWORD_HASHERS": [
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ],
        "LANGUAGE_CODE": "ru",
        "LANGUAGES": [("ru", "Русский")],
        "TIME_ZONE": os.environ.get("PARTA_TIME_ZONE", "Europe/Moscow"),
        "USE_I18N": True,
        "USE_TZ": True,
        "STATIC_URL": "/static/",
        "STATIC_ROOT": str(static_root),
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        "WHITENOISE_USE_FINDERS": True,
        # Both sides run on one host in the demo: cookies must not collide.
        "SESSION_COOKIE_NAME": f"parta_{side}_session",
        "CSRF_COOKIE_NAME": f"parta_{side}_csrftoken",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "TASKS": {
            "default": {
                "BACKEND": os.environ.get("PARTA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
                "QUEUES": ["default"],
            }
        },
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "root": {"handlers": ["console"], "level": os.environ.get("PARTA_LOG_LEVEL", "WARNING")},
        },
        "PARTA_SIDE": side,
    }
