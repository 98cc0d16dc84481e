"""The one-hop ASGI handler (parta/core/asgi.py) serves Django's requests as Django's own handler does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from parta.core.asgi import OneHopASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)

seen: dict[str, Any] = {}


@csrf_exempt
def where(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse(
        {
            "thread": threading.current_thread().name,
            "connection": id(connection.connection),
            "body": request.body.decode(),
            "script_name": request.META.get("SCRIPT_NAME", ""),
        }
    )


def stream(request: HttpRequest) -> StreamingHttpResponse:
    def parts() -> Iterator[bytes]:
        try:
            for n in range(3):
                yield f"часть {n};".encode()
        finally:
            seen["closed"] = True

    return StreamingHttpResponse(parts(), content_type="text/plain; charset=utf-8")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("сломано")


urlpatterns = [path("where", where), path("stream", stream), path("broken", broken)]


def call(
    handler: OneHopASGIHandler, url: str, *, method: str = "GET", body: bytes = b""
) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"text/plain")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(handler, scope)

    async def run() -> tuple[int, bytes]:
        await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
        start = await communicator.receive_output(timeout=10)
        chunks = []
        while True:
            message = await communicator.receive_output(timeout=10)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await communicator.wait(timeout=10)
        return start["status"], b"".join(chunks)

    from asgiref.sync import async_to_sync

    return async_to_sync(run)()


@pytest.fixture
def handler(settings: Any, monkeypatch: pytest.MonkeyPatch) -> OneHopASGIHandler:
    settings.ROOT_URLCONF = __name__
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    monkeypatch.setenv("PARTA_HTTP_THREADS", "1")
    return OneHopASGIHandler()


def test_a_request_runs_in_the_pool_and_keeps_its_connection(handler: OneHopASGIHandler) -> None:
    import json

    status, first = call(handler, "/where", method="POST", body="привет".encode())
    assert status == 200
    first_seen = json.loads(first)
    assert first_seen["thread"].startswith("parta-http")
    assert first_seen["body"] == "привет"
    _, second = call(handler, "/where")
    assert json.loads(second)["thread"] == first_seen["thread"]
    if connection.vendor == "sqlite":
        # One thread, CONN_MAX_AGE: the second request uses the first one's connection, not a new one
        # (on PostgreSQL the connection goes back to psycopg's pool instead).
        assert json.loads(second)["connection"] == first_seen["connection"]


def test_a_streaming_response_is_sent_whole_and_then_closed(handler: OneHopASGIHandler) -> None:
    seen.clear()
    status, body = call(handler, "/stream")
    assert status == 200
    assert body.decode() == "часть 0;часть 1;часть 2;"
    assert seen.get("closed") is True


def test_an_error_in_a_view_is_a_500_page_not_a_dropped_connection(handler: OneHopASGIHandler) -> None:
    status, _ = call(handler, "/broken")
    assert status == 500
    assert call(handler, "/nowhere")[0] == 404


def test_a_wrong_number_of_threads_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTA_HTTP_THREADS", "ноль")
    with pytest.raises(ValueError, match="PARTA_HTTP_THREADS"):
        OneHopASGIHandler()
