"""Django's ASGI handler, with the whole synchronous request in one thread of a fixed pool.

Both sides are synchronous Django (no async views) served by uvicorn over ASGI, because the platform
also speaks WebSocket (Channels). Django's own :class:`~django.core.handlers.asgi.ASGIHandler` builds an
asynchronous middleware chain; with synchronous middleware (WhiteNoise, ours) and synchronous views a
request then crosses between the event loop and a thread five times or more (the ``request_started``
signal, into the middleware, back to the loop for the view, into the view, the ``response.close()``),
each request in a new thread (``ThreadSensitiveContext``), so each request also opened a new SQLite
connection. Measured on the 2-core bench machine, uvicorn + Django's handler spent about 4.7 ms of CPU
on a request that costs 0.7 ms in Django itself (``GET /healthz``); see bench/RESULTS.md.

:class:`OneHopASGIHandler` keeps Django's request parsing and response sending, and runs everything in
between — ``request_started`` (which closes old and broken connections), the synchronous middleware
chain, the view, ``request_finished`` — as one call in one thread of a pool of
``PARTA_HTTP_THREADS`` threads (default 32), as a threaded WSGI server would. Connections then live per
thread with ``CONN_MAX_AGE`` (SQLite) or return to psycopg's pool (PostgreSQL) exactly as under WSGI.
A streaming response (a file, an export) is closed after it is sent, as Django does.

Nothing here is specific to one side: both ``parta/sites/*/asgi.py`` use it. Async views are not
supported by this handler (a synchronous chain would run them through ``async_to_sync``); Parta has none.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

DEFAULT_THREADS = 32


def _threads() -> int:
    text = os.environ.get("PARTA_HTTP_THREADS", str(DEFAULT_THREADS))
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise ValueError(f"PARTA_HTTP_THREADS={text!r}: нужно целое число потоков от 1 до 1000.")
    return int(text)


def get_one_hop_asgi_application() -> OneHopASGIHandler:
    """Django's ``get_asgi_application()``, with :class:`OneHopASGIHandler`."""
    django.setup(set_prefix=False)
    return OneHopASGIHandler()


class OneHopASGIHandler(ASGIHandler):
    """An ASGI handler whose synchronous part of a request takes one trip to one pooled thread."""

    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="parta-http")
        self._respond_async = sync_to_async(self._respond, thread_sensitive=False, executor=self.executor)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self._respond_async(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await sync_to_async(response.close, thread_sensitive=False, executor=self.executor)()
        finally:
            body_file.close()

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """Everything synchronous of one request, in one thread; a non-streaming response comes back
        closed (its content is already bytes), so ``request_finished`` runs here too."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None  # create_request returns one of the two
            response: HttpResponseBase = error_response
        else:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]  # as Django's handler does
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response
