"""The platform's WebSocket routes (mounted by ``parta/sites/platform/asgi.py``)."""

from django.urls import path

from parta.messenger.consumers import MessengerConsumer

websocket_urlpatterns = [path("ws/", MessengerConsumer.as_asgi())]
