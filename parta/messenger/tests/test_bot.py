"""The community bot: notices and requests in the «Сферум» chat, its buttons over real HTTP requests,
single use, binding to the profile, expiry, and the live update of an answered request."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client

from parta.messenger.actions import community_chat_of
from parta.messenger.actions.bot import BotButtonSpec, bot_answer, bot_notice, bot_request
from parta.messenger.actions.errors import MessengerError
from parta.messenger.events import chat_group
from parta.messenger.models import BotButton, BotRequest, Message
from parta.messenger.tests import factories

pytestmark = pytest.mark.django_db

YES_NO = [BotButtonSpec("yes", "Да"), BotButtonSpec("no", "Нет")]


@pytest.fixture
def clock(settings: Any, tmp_path: Path) -> Any:
    """Move the platform's clock: ``clock(3600)`` is an hour later."""
    path = tmp_path / "clock-offset"
    settings.PARTA_CLOCK_OFFSET_FILE = str(path)
    return lambda seconds: path.write_text(str(seconds))


def signed_in(profile: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(profile.account)
    return client


def tokens(html: str) -> dict[str, str]:
    """label → callback token of the buttons shown in ``html``."""
    return {
        label: token
        for token, label in re.findall(r'name="token" value="([^"]+)"[^>]*>([^<]+)</button>', html)
    }


def test_a_notice_is_a_message_of_the_bot_in_the_sferum_chat(db: None) -> None:
    person = factories.profile()
    message = bot_notice(profile=person, text="Сферум ID: код 123456 для входа.")
    chat = community_chat_of(profile=person)
    assert message.chat_id == chat.pk
    assert message.author_id is None
    page = signed_in(person).get(f"/chats/{chat.pk}/").content.decode()
    assert "Сферум ID: код 123456 для входа." in page
    assert 'name="token"' not in page


def test_a_request_shows_its_buttons_only_to_its_profile_and_answers_once(db: None) -> None:
    person = factories.profile()
    asked = bot_request(profile=person, text="Подтвердите участие в собрании", buttons=YES_NO)
    client = signed_in(person)
    page = client.get(f"/chats/{asked.message.chat_id}/").content.decode()
    shown = tokens(page)
    assert list(shown) == ["Да", "Нет"]

    # No CSRF token is needed: the callback token is the secret (enforce_csrf_checks is on).
    first = client.post("/bot/answer/", {"token": shown["Да"]}, headers={"Accept": "application/json"})
    assert first.status_code == 200
    assert first.json()["acted"] is True
    assert "Ваш ответ: «Да»." in first.json()["message"]["html"]
    assert 'name="token"' not in first.json()["message"]["html"]

    # Pressing the same button again, or the other one, acts no more.
    for label in ("Да", "Нет"):
        again = client.post("/bot/answer/", {"token": shown[label]}, headers={"Accept": "application/json"})
        assert again.status_code == 200
        assert again.json()["acted"] is False
    asked.refresh_from_db()
    assert asked.outcome == "yes"
    assert BotButton.objects.filter(request=asked, pressed_at__isnull=False).count() == 1

    page = client.get(f"/chats/{asked.message.chat_id}/").content.decode()
    assert "Ваш ответ: «Да»." in page
    assert 'name="token"' not in page


def test_without_script_the_button_posts_and_comes_back_to_the_chat(db: None) -> None:
    person = factories.profile()
    asked = bot_request(profile=person, text="Вопрос", buttons=YES_NO)
    token = asked.buttons.get(value="no").token
    response = signed_in(person).post("/bot/answer/", {"token": token})
    assert response.status_code == 302
    assert response["Location"] == f"/chats/{asked.message.chat_id}/#m{asked.message_id}"
    asked.refresh_from_db()
    assert asked.outcome == "no"


def test_a_token_is_bound_to_its_profile(db: None) -> None:
    owner, stranger = factories.profile(), factories.profile(first="Олег")
    asked = bot_request(profile=owner, text="Вопрос", buttons=YES_NO)
    token = asked.buttons.get(value="yes").token
    for guess in (token, "x" * 43, ""):
        response = signed_in(stranger).post(
            "/bot/answer/", {"token": guess}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 400
        assert response.json() == {"error": "Эта кнопка больше не действует."}
    with pytest.raises(MessengerError):
        bot_answer(profile=stranger, token=token)
    asked.refresh_from_db()
    assert asked.outcome == ""
    assert signed_in(owner).post("/bot/answer/", {"token": token}).status_code == 302


def test_not_signed_in_pressing_goes_to_the_sign_in(db: None) -> None:
    asked = bot_request(profile=factories.profile(), text="Вопрос", buttons=YES_NO)
    response = Client().post("/bot/answer/", {"token": asked.buttons.first().token})
    assert response.status_code == 302
    assert "/id/" in response["Location"]
    asked.refresh_from_db()
    assert asked.outcome == ""


def test_an_expired_request_loses_its_buttons_and_acts_no_more(db: None, clock: Any) -> None:
    person = factories.profile()
    asked = bot_request(profile=person, text="Вопрос", buttons=YES_NO)
    token = asked.buttons.get(value="yes").token
    clock(7 * 24 * 3600 + 1)  # the default lifetime is a week
    page = signed_in(person).get(f"/chats/{asked.message.chat_id}/").content.decode()
    assert "Срок ответа истёк." in page
    assert 'name="token"' not in page
    answer = bot_answer(profile=person, token=token)
    assert answer.acted is False
    asked.refresh_from_db()
    assert asked.outcome == "expired"


def test_the_answered_message_is_published_as_updated_to_the_chat_for_open_pages(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    person = factories.profile()
    asked = bot_request(profile=person, text="Вопрос", buttons=YES_NO)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(chat_group(asked.message.chat_id), channel)

    with django_capture_on_commit_callbacks(execute=True):
        bot_answer(profile=person, token=asked.buttons.get(value="no").token)
    event = async_to_sync(layer.receive)(channel)
    assert event["type"] == "messenger.message_updated"
    assert event["message"]["id"] == asked.message_id
    asked.message.refresh_from_db()
    assert asked.message.edited_at is not None  # a page offline now asks for it on reconnect
    assert "Ваш ответ: «Нет»." in event["message"]["html"]
    assert "data-bot-form" not in event["message"]["html"]

    # Pressing again publishes nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bot_answer(profile=person, token=asked.buttons.get(value="yes").token)
    assert callbacks == []


def test_a_request_needs_distinct_buttons_and_a_known_purpose(db: None) -> None:
    person = factories.profile()
    with pytest.raises(ValueError, match="at least one button"):
        bot_request(profile=person, text="?", buttons=[])
    with pytest.raises(ValueError, match="distinct"):
        bot_request(profile=person, text="?", buttons=[BotButtonSpec("a", "А"), BotButtonSpec("a", "Б")])
    with pytest.raises(ValueError, match="no handler"):
        bot_request(profile=person, text="?", buttons=YES_NO, purpose="unknown")
    assert not Message.objects.exists()
    assert not BotRequest.objects.exists()


def test_nobody_writes_into_the_sferum_chat_but_the_bot(db: None) -> None:
    person = factories.profile()
    chat = community_chat_of(profile=person)
    response = signed_in(person).get(f"/chats/{chat.pk}/")
    assert "data-composer" not in response.content.decode()


def test_the_expiry_command_closes_due_requests(db: None, clock: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    person = factories.profile()
    due = bot_request(profile=person, text="Вопрос", buttons=YES_NO, lifetime=dt.timedelta(minutes=10))
    waiting = bot_request(profile=person, text="Другой вопрос", buttons=YES_NO)
    clock(11 * 60)
    out = StringIO()
    call_command("bot_expire", stdout=out)
    assert out.getvalue().strip() == "Закрыто запросов: 1"
    due.refresh_from_db()
    waiting.refresh_from_db()
    assert due.outcome == "expired"
    assert due.outcome_text == "Срок ответа истёк."
    assert waiting.outcome == ""
