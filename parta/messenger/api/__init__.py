"""API v1 for journals (django-ninja), mounted at ``/api/v1/`` of the platform; docs/api.md.

Every operation is authenticated by the journal's API token (``Authorization: Bearer …``, see
:mod:`parta.messenger.api.auth`) and sees only that journal's organizations. Errors are JSON with a
Russian ``detail`` (:mod:`parta.messenger.api.errors`).

Adding a router: write ``parta/messenger/api/<name>.py`` with a module-level ``router = Router(...)`` and
add its module path to :data:`ROUTERS` — one line.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from parta.messenger.api import errors
from parta.messenger.api.auth import JournalToken

# Each module defines ``router`` (a ninja.Router); its paths are relative to /api/v1/.
ROUTERS = [
    "parta.messenger.api.orgs",
    "parta.messenger.api.links",
    "parta.messenger.api.groups",
    "parta.messenger.api.profiles",
    "parta.messenger.api.link_requests",
    "parta.messenger.api.conferences",
]


class Utf8JSONRenderer(JSONRenderer):
    """Russian text as is, not as \\u escapes (readable in curl and logs; still valid JSON)."""

    json_dumps_params: dict[str, Any] = {"ensure_ascii": False}


api = NinjaAPI(
    title="Сферум: API v1 для электронных журналов",
    version="1",
    description="Организации, подтверждённые связи профилей, группы (управляемые чаты), чаты профиля. "
    "Аутентификация: `Authorization: Bearer <токен API журнала>`. Описание: docs/api.md.",
    auth=JournalToken(),
    urls_namespace="api-v1",
    docs_url=None,
    renderer=Utf8JSONRenderer(),
)
errors.install(api)

for _module in ROUTERS:
    api.add_router("", import_module(_module).router)
