"""What the ID uses of the messenger: the push sessions of an account, and the sender that posts push
and trusted friends' codes into the «Сферум» chat as the bot — also through the ID's own code flow."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import runpy
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from parta.identity.delivery import DeliveryError, Message
from parta.messenger.actions import community_chat_of
from parta.messenger.models import Message as ChatMessage
from parta.messenger.public import BotCodeSender, push_sessions
from parta.messenger.tests import factories
from parta.sites.platform import settings as platform_settings

pytestmark = pytest.mark.django_db


def session(account: Any, *, seen_days_ago: float = 0) -> Any:
    return apps.get_model("identity", "AccountSession").objects.create(
        account=account,
        session_key=os.urandom(16).hex(),
        last_seen_at=timezone.now() - dt.timedelta(days=seen_days_ago),
    )


def code_message(
    account: Any, text: str = "Сферум ID: код 482913 для входа. Никому его не сообщайте."
) -> Message:
    return Message(to=account.phone, text=text, code="482913", account_id=account.pk, phone=account.phone)


def test_push_sessions_are_the_live_sign_ins_of_an_account_with_a_profile(db: None) -> None:
    person = factories.profile()
    assert push_sessions(account_id=person.account.pk) == []
    stale = session(person.account, seen_days_ago=30)
    live = session(person.account)
    assert push_sessions(account_id=person.account.pk) == [f"session-{live.pk}"]
    assert stale.session_key not in push_sessions(account_id=person.account.pk)[0]

    no_profile = factories.account()
    session(no_profile)
    assert push_sessions(account_id=no_profile.pk) == []


def test_the_push_code_arrives_in_the_sferum_chat_as_the_bot(db: None) -> None:
    person = factories.profile()
    BotCodeSender().send_push(code_message(person.account), sessions=["session-1"])
    (posted,) = ChatMessage.objects.filter(chat=community_chat_of(profile=person))
    assert posted.author_id is None
    assert posted.text == "Сферум ID: код 482913 для входа. Никому его не сообщайте."


def test_a_friends_code_goes_into_the_friends_chat(db: None) -> None:
    friend = factories.profile(first="Олег")
    text = "Иванова Мария восстанавливает доступ к Сферум ID и указал вас как доверенного друга. Код: 482913."
    BotCodeSender().send_friend(code_message(friend.account, text))
    assert ChatMessage.objects.get(chat=community_chat_of(profile=friend)).text == text


def test_without_a_profile_or_a_session_the_code_does_not_go(db: None) -> None:
    sender = BotCodeSender()
    with pytest.raises(DeliveryError):
        sender.send_push(code_message(factories.account()), sessions=["session-1"])
    with pytest.raises(DeliveryError):
        sender.send_friend(code_message(factories.account()))
    with pytest.raises(DeliveryError):
        sender.send_push(code_message(factories.profile().account), sessions=[])
    assert not ChatMessage.objects.exists()


def test_the_ids_push_code_flow_posts_into_the_chat(db: None, settings: Any) -> None:
    """The ID's own code_send / code_verify with the messenger's functions named in its settings, as in
    production. (The messenger may not import the ID's actions — import-linter — so the test reaches
    them by name: it checks the two apps together, the way the site runs them.)"""
    codes = importlib.import_module("parta.identity.actions.codes")

    settings.PARTA_ID_SENDERS = dict(settings.PARTA_ID_SENDERS, push="parta.messenger.public.BotCodeSender")
    settings.PARTA_ID_PUSH_SESSIONS = "parta.messenger.public.push_sessions"
    person = factories.profile()
    session(person.account)
    sent = codes.code_send(
        target=person.account.phone, purpose="signin", channel="push", account=person.account
    )
    (posted,) = ChatMessage.objects.filter(chat=community_chat_of(profile=person))
    assert posted.author_id is None
    code = posted.text.split("код ", 1)[1][:6]
    assert codes.code_verify(code_id=sent.pk, value=code).state == "used"


def test_production_defaults_name_the_messenger_and_dev_keeps_the_outbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "PARTA_ID_PUSH_SENDER",
        "PARTA_ID_FRIEND_SENDER",
        "PARTA_ID_PUSH_SESSIONS",
        "PARTA_ID_DEV_PUSH_PHONES",
        "PARTA_DEV_OUTBOX",
        "PARTA_CLOCK_OFFSET_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARTA_TESTING", "0")
    monkeypatch.setenv("PARTA_CLOCK_OFFSET_FILE", "/tmp/offset")  # noqa: S108 -- only read as a setting
    production = runpy.run_path(platform_settings.__file__)
    assert production["PARTA_ID_SENDERS"]["push"] == "parta.messenger.public.BotCodeSender"
    assert production["PARTA_ID_SENDERS"]["friend"] == "parta.messenger.public.BotCodeSender"
    assert production["PARTA_ID_PUSH_SESSIONS"] == "parta.messenger.public.push_sessions"
    assert production["PARTA_CLOCK_OFFSET_FILE"] == ""  # a production site keeps real time

    monkeypatch.setenv("PARTA_TESTING", "1")
    dev = runpy.run_path(platform_settings.__file__)
    assert dev["PARTA_ID_SENDERS"]["push"] == "parta.identity.delivery.dev.DevSender"
    assert dev["PARTA_ID_SENDERS"]["friend"] == "parta.identity.delivery.dev.DevSender"
    assert dev["PARTA_ID_PUSH_SESSIONS"] == ""
    assert dev["PARTA_CLOCK_OFFSET_FILE"] == "/tmp/offset"  # noqa: S108
