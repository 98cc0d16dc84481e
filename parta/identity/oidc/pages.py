"""The two pages the OpenID Connect endpoints show a person: an authorization request that cannot be
answered to its client, and the RP-initiated logout's question. Their templates live beside this module
(``templates/oidc/``) and are rendered by a small template engine of their own."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import Engine, RequestContext

TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.cache
def _engine() -> Engine:
    return Engine(
        dirs=[str(TEMPLATES)],
        context_processors=["django.template.context_processors.csrf"],
        libraries={"static": "django.templatetags.static"},
        debug=settings.DEBUG,
    )


def page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    base = {"id_name": getattr(settings, "PARTA_ID_NAME", "ID")}
    html = _engine().get_template(template).render(RequestContext(request, {**base, **context}))
    response = HttpResponse(html, status=status)
    response["Cache-Control"] = "no-store"
    return response
