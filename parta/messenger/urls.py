"""The messenger's pages at the platform's root: chats, «Звонки»."""

from django.urls import URLPattern, URLResolver

app_name = "messenger"
urlpatterns: list[URLPattern | URLResolver] = []
