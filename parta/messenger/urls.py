"""The messenger's pages at the platform's root: «Чаты», a chat, «Контакты», «Звонки».

The WebSocket (``/ws/``) is routed by ``parta/sites/platform/asgi.py`` (see ``routing.py``).
"""

from django.urls import URLPattern, URLResolver, path

from parta.messenger.views import bot, calls, chats, people

app_name = "messenger"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", chats.chat_list, name="chats"),
    path("chats/new/", chats.chat_new, name="chat-new"),
    path("chats/<int:chat_id>/", chats.chat_view, name="chat"),
    path("chats/<int:chat_id>/send/", chats.chat_send, name="send"),
    path("chats/<int:chat_id>/read/", chats.chat_read, name="read"),
    path("chats/<int:chat_id>/files/<int:attachment_id>/", chats.attachment_file, name="file"),
    path("people/", people.people, name="people"),
    path("people/<int:profile_id>/write/", people.person_write, name="write"),
    path("calls/", calls.calls, name="calls"),
    path("calls/<uuid:conference_uuid>/join/", calls.join, name="conference-join"),
    path("bot/answer/", bot.answer, name="bot-answer"),
]
