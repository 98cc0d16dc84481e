from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from parta.integration.tests import fakes
from parta.journal.tests import factories


@pytest.fixture
def platform(settings: Any) -> Iterator[fakes.FakePlatform]:
    """The fake ID + API v1 on a real local socket, and the journal configured for it."""
    with fakes.fake_platform() as fake:
        settings.PARTA_INTEGRATION_CREDENTIALS_FILE = ""
        settings.PARTA_INTEGRATION_CLIENT_ID = fakes.CLIENT_ID
        settings.PARTA_INTEGRATION_CLIENT_SECRET = fakes.CLIENT_SECRET
        settings.PARTA_INTEGRATION_API_TOKEN = fakes.API_TOKEN
        settings.PARTA_INTEGRATION_ISSUER = fake.issuer
        settings.PARTA_INTEGRATION_TIMEOUT = 2.0
        cache.clear()
        yield fake
        cache.clear()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: the platform really down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def school_day() -> dict[str, Any]:
    school = factories.school("Школа № 1")
    teacher = factories.teacher(school)
    five_a = factories.school_class(school, teacher=teacher)
    pupil = factories.student(five_a, "Кузнецов", "Артём")
    mother = factories.parent_of(pupil, "Кузнецова", "Елена")
    return {
        "school": school,
        "teacher": factories.account(teacher, username="teach"),
        "student": factories.account(pupil, username="pupil"),
        "parent": factories.account(mother, username="mother"),
        "pupil": pupil,
        "mother": mother,
    }


def signed_in(client: Client, username: str) -> Client:
    assert client.login(username=username, password="parta-demo")
    return client
