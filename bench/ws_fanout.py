"""A message to a 1,000-member chat reaching 200 open WebSockets: the time from send to receipt on each.

    .venv/bin/python bench/ws_fanout.py [--layer memory|redis|both] [--members 1000] [--sockets 200]
                                        [--messages 100] [--database-url postgresql://…/parta_ws_bench]

Drops and creates the database ``parta_ws_bench`` on 127.0.0.1:5432, migrates the platform side into it
and creates a school with ``--members`` profiles (bulk inserts), all of them members of one chat (the
``chat_create`` action), and a signed-in session for ``--sockets`` of them plus the sender (Django's
``force_login``: the same session rows a sign-in writes). Then, for each channel layer asked for, it
starts the platform's real server (``uvicorn``, one process, as ``parta serve platform`` does) — with the
in-memory layer, or with the Redis layer (``REDIS_URL``, default ``redis://127.0.0.1:6379/0``, under a
key prefix of its own) — opens the sockets at ``/ws/`` as the chat page does (session cookie, Origin,
``subscribe``), and sends ``--messages`` messages one after another over HTTP as a member (POST
``/chats/<id>/send/``, as the page's script does). For every message and every socket it takes the time
from just before the POST to the frame's arrival on that socket, and prints p50 / p95 / p99 / max over
all of them. A message is sent when the previous one has reached every socket (or after 10 s).

The clock is the client's (one process, asyncio): the times include the HTTP request (the message is
published when its transaction commits, before the answer), the layer, the consumers, the loopback and
the client reading 200 frames in turn. Goal (issue 4): p99 ≤ 200 ms. Results: RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from _server import free_port, start_platform, stop  # bench/_server.py

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/parta_ws_bench"
UNUSABLE = "!"  # a password hash nobody can sign in with
GOAL_P99_MS = 200.0
WARMUP = 5  # messages sent first and not counted
PUBSUB_SETTINGS = """from parta.sites.platform.settings import *  # noqa: F403
CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.pubsub.RedisPubSubChannelLayer"  # noqa: F405
"""


def recreate(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


Prepared = tuple[int, list[str], str, str, str]


def setup(members: int, sockets: int) -> Prepared:
    """The school, the chat and the sessions: (chat id, the sockets' session keys, the sender's, the
    names of the session and CSRF cookies)."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client
    from oauth2_provider.models import Application

    from parta.identity.models import Account, EducationalProfile, JournalClient
    from parta.messenger.actions import chat_create
    from parta.messenger.models import ChatKind, Membership, Organization

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        app = Application.objects.create(
            name="Бенчмарк",
            client_id="bench-journal",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris="http://127.0.0.1:8000/integration/callback/",
            algorithm=Application.RS256_ALGORITHM,
        )
        client = JournalClient.objects.create(application=app, display_name="Бенчмарк", api_token_digest="-")  # noqa: S106 -- no API here
        org = Organization.objects.create(client=client, ref="bench-school", name="Школа бенчмарка")
        accounts = Account.objects.bulk_create(
            [Account(phone=f"+7998{i:07d}", password=UNUSABLE) for i in range(members)], batch_size=5000
        )
        profiles = EducationalProfile.objects.bulk_create(
            [
                EducationalProfile(
                    account=a, last_name="Ученик", first_name=f"№{i}", birth_date="2012-01-01", gender="male"
                )
                for i, a in enumerate(accounts)
            ],
            batch_size=5000,
        )
        Membership.objects.bulk_create(
            [Membership(organization=org, profile=p, is_student=True) for p in profiles], batch_size=5000
        )
        chat = chat_create(
            organization=org,
            kind=ChatKind.CLASS,
            title="5А — классный чат",
            managed_ref="bench-5a",
            members=[p.pk for p in profiles],
            admins=[profiles[-1].pk],
        )
    cookie = settings.SESSION_COOKIE_NAME
    keys = []
    for account in [*accounts[:sockets], accounts[-1]]:  # the last one sends
        browser = Client()
        browser.force_login(account)
        keys.append(browser.cookies[cookie].value)
    return chat.pk, keys[:-1], keys[-1], cookie, settings.CSRF_COOKIE_NAME


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(base: str, prepared: Prepared, messages: int) -> tuple[list[float], int]:
    """Open the sockets, send the messages, return every send → receipt time in ms and the count of
    receipts missing after 10 s."""
    chat_id, keys, sender_key, cookie, csrf_cookie = prepared
    host = base.removeprefix("http://")
    arrived: dict[int, list[float]] = {}
    everyone = asyncio.Event()
    waiting_for: list[int] = [0]

    async def reader(ws: Any) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "message" and not frame.get("replay"):
                times = arrived.setdefault(int(frame["id"]), [])
                times.append(time.perf_counter())
                if int(frame["id"]) == waiting_for[0] and len(times) == len(keys):
                    everyone.set()

    async def open_socket(key: str) -> Any:
        ws = await websockets.connect(
            f"ws://{host}/ws/",
            origin=websockets.Origin(base),  # the page's own origin, as a browser sends it
            additional_headers={"Cookie": f"{cookie}={key}"},
            max_size=2**22,
            open_timeout=60,
        )
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.send(json.dumps({"type": "subscribe", "chats": {str(chat_id): 0}}))
        while json.loads(await ws.recv())["type"] != "subscribed":
            pass
        return ws

    sockets = []
    for start in range(0, len(keys), 20):  # 20 at a time: the server is one process
        sockets += await asyncio.gather(*(open_socket(key) for key in keys[start : start + 20]))
    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    csrf = secrets.token_hex(16)  # a 32-character secret, sent as the cookie and the header alike
    samples: list[float] = []
    missing = 0
    async with httpx.AsyncClient(
        base_url=base,
        cookies={cookie: sender_key, csrf_cookie: csrf},
        headers={"X-CSRFToken": csrf, "Accept": "application/json", "X-Parta-Partial": "1"},
        timeout=30,
    ) as http:
        for number in range(WARMUP + messages):
            everyone.clear()
            waiting_for[0] = -1
            started = time.perf_counter()
            response = await http.post(
                f"/chats/{chat_id}/send/",
                data={"text": f"Сообщение №{number}", "client_key": secrets.token_hex(8)},
            )
            if response.status_code != 200:
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:500]}")
            message_id = int(response.json()["message"]["id"])
            waiting_for[0] = message_id
            if len(arrived.get(message_id, [])) < len(keys):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(everyone.wait(), timeout=10)
            times = arrived.get(message_id, [])
            if number >= WARMUP:
                samples += [(t - started) * 1000 for t in times]
                missing += len(keys) - len(times)
            await asyncio.sleep(0.02)
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return samples, missing


def run_layer(layer: str, options: argparse.Namespace, prepared: Prepared) -> str:
    keys = prepared[1]
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    folder: Path | None = None
    if layer in ("redis", "pubsub"):
        env["REDIS_URL"] = options.redis_url
        env["PARTA_MESSENGER_CHANNELS_PREFIX"] = f"parta-ws-bench-{os.getpid()}"
    if layer == "pubsub":
        # Not a setting of the platform (yet): the same settings with channels_redis's Pub/Sub layer,
        # through a settings module written for this run.
        folder = Path(tempfile.mkdtemp(prefix="parta-ws-bench-"))
        (folder / "ws_bench_pubsub_settings.py").write_text(PUBSUB_SETTINGS)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH", "")]))
        env["DJANGO_SETTINGS_MODULE"] = "ws_bench_pubsub_settings"
    port = free_port()
    server = start_platform(env, port=port)
    try:
        base = f"http://127.0.0.1:{port}"
        load = os.getloadavg()[0]
        started = time.perf_counter()
        samples, missing = asyncio.run(measure(base, prepared, options.messages))
        wall = time.perf_counter() - started
        load_after = os.getloadavg()[0]
    finally:
        stop(server)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    p50, p95, p99 = (percentile(samples, q) for q in (0.5, 0.95, 0.99))
    verdict = "met" if p99 <= GOAL_P99_MS and not missing else "NOT met"
    print(
        f"{layer:6} {len(keys)} sockets × {options.messages} messages: {len(samples):,} receipts, "
        f"{missing} missing; p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(samples):.1f} ms, mean {statistics.fmean(samples):.1f} ms; {wall:.1f} s; "
        f"load {load:.1f} / {load_after:.1f} — goal {verdict}"
    )
    day = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (
        f"| {day} | {layer} | {options.members:,} / {len(keys)} | {options.messages} | "
        f"{p50:.1f} | {p95:.1f} | **{p99:.1f}** | {max(samples):.1f} | {missing} | "
        f"{load:.1f} / {load_after:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--layer", choices=["memory", "redis", "pubsub", "both", "all"], default="both")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--messages", type=int, default=100)
    options = parser.parse_args()
    if options.sockets >= options.members:
        raise SystemExit("--sockets должно быть меньше --members.")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="parta.sites.platform.settings",
        PARTA_PLATFORM_DATABASE_URL=options.database_url,
        PARTA_LOG_LEVEL="ERROR",
    )
    os.environ.pop("REDIS_URL", None)  # the setup needs no layer; each server gets its own
    recreate(options.database_url)
    started = time.perf_counter()
    prepared = setup(options.members, options.sockets)
    print(
        f"setup: {options.members:,} members, {options.sockets} sessions "
        f"in {time.perf_counter() - started:.1f} s"
    )
    rows = [
        run_layer(layer, options, prepared)
        for layer in {"both": ["memory", "redis"], "all": ["memory", "redis", "pubsub"]}.get(
            options.layer, [options.layer]
        )
    ]
    print("\nRESULTS.md rows:")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
