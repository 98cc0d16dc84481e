"""``GET /healthz``: 200 with the state of the database (and Redis where configured), 503 otherwise."""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


def _database() -> dict[str, object]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return {"ok": False, "vendor": connection.vendor, "error": str(error)[:200]}
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 2)}


def _redis() -> dict[str, object] | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except Exception as error:
        return {"ok": False, "error": str(error)[:200]}
    return {"ok": True}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, object] = {"database": _database()}
    redis_state = _redis()
    if redis_state is not None:
        checks["redis"] = redis_state
    ok = all(bool(state["ok"]) for state in checks.values() if isinstance(state, dict))
    return JsonResponse(
        {"status": "ok" if ok else "fail", "side": getattr(settings, "PARTA_SIDE", ""), **checks},
        status=200 if ok else 503,
    )
