"""Shared fixtures of the messenger's tests: a school with its people, and isolated files and layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from channels.layers import channel_layers

from parta.messenger.models import Organization
from parta.messenger.tests import factories


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    """Attachments go to a temporary folder; the in-memory channel layer, fresh for each test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends = {}


@dataclass
class School:
    org: Organization
    teacher: Any
    staff: Any
    parent: Any
    student: Any
    other_student: Any


@pytest.fixture
def school(db: None) -> School:
    org = factories.organization("ГБОУ Школа № 1")
    return School(
        org=org,
        teacher=factories.member(org, "teacher", last="Смирнова", first="Анна", middle="Петровна"),
        staff=factories.member(org, "staff", last="Волкова", first="Ирина", middle="Николаевна"),
        parent=factories.member(org, "parent", last="Кузнецова", first="Елена", middle="Сергеевна"),
        student=factories.member(org, "student", last="Кузнецов", first="Артём", middle="Дмитриевич"),
        other_student=factories.member(org, "student", last="Лукьянова", first="Диана", middle="Дмитриевна"),
    )


@pytest.fixture
def outsider(db: None) -> Any:
    """A teacher of another school."""
    return factories.member(factories.organization("ГБОУ Лицей № 8"), "teacher", last="Орлова", first="Ольга")
