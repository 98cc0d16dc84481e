"""The platform's ASGI application: HTTP through Django, WebSockets (``/ws/``) through Channels.

A WebSocket is accepted only from a page of an allowed host (``AllowedHostsOriginValidator`` checks the
``Origin`` header against ``ALLOWED_HOSTS``) and carries the platform's session
(``AuthMiddlewareStack``): see parta/messenger/consumers.py and docs/messenger.md.
"""

import os

from parta.core.asgi import get_one_hop_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parta.sites.platform.settings")
# Django is set up first: the routes below import models.
django_application = get_one_hop_asgi_application()

from channels.auth import AuthMiddlewareStack  # type: ignore[import-untyped]  # noqa: E402 -- no types; needs Django set up
from channels.routing import ProtocolTypeRouter, URLRouter  # type: ignore[import-untyped]  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # type: ignore[import-untyped]  # noqa: E402

from parta.messenger.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
