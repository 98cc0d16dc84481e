"""The ID's screens under ``/id/``: sign-in, educational profile, recovery, account."""

from django.urls import URLPattern, URLResolver

app_name = "identity"
urlpatterns: list[URLPattern | URLResolver] = []
