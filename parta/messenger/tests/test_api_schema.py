"""API v1 fuzzed from its own OpenAPI document (schemathesis): whatever a journal sends, the answer is
never a 500 and always matches the documented status codes, content type and response schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from parta.messenger.tests.apiclient import journal, person


@contextmanager
def kept_connection() -> Iterator[None]:
    """Like Django's test client: keep the test's database connection (and its transaction) open across
    requests made straight to the WSGI handler, which would otherwise close it after each."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db: None) -> Any:
    """The API's schema, called in-process through Django's WSGI handler."""
    with kept_connection():
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def token(db: None) -> str:
    """A journal with a school, two linked people and a group — so some generated requests hit real rows."""
    j = journal()
    j.put("/orgs/school-1", {"name": "ГБОУ Школа № 1"})
    teacher, student = person("Смирнова", "Анна"), person("Кузнецов", "Артём")
    j.link(teacher, "school-1", "t-1", "teacher")
    j.link(student, "school-1", "s-1", "student")
    j.post(
        "/orgs/school-1/groups:sync",
        {
            "groups": [
                {
                    "group_ref": "5a",
                    "kind": "class",
                    "title": "5А",
                    "members": [str(student.sub)],
                    "admins": [str(teacher.sub)],
                }
            ]
        },
    )
    return j.token


@pytest.mark.django_db
def test_api_v1_conforms_to_its_schema(api_schema: Any, token: str) -> None:
    """Every operation, 40 generated requests each, with the journal's valid token (schemathesis's own
    pytest plugin does not run on this pytest, so its strategies are driven by Hypothesis directly)."""
    # Excluded: "a schema-valid request is accepted" — some refusals depend on the data, not its shape
    # (a group named twice in one batch, a phone number that is not one: 400 with a Russian detail).
    headers = {"Authorization": f"Bearer {token}"}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        with kept_connection():
            check()


def test_the_schema_documents_every_operation(api_schema: Any) -> None:
    operations = {
        (op.method.upper(), op.path.removeprefix("/api/v1"))
        for op in (result.ok() for result in api_schema.get_all_operations())
    }
    assert {
        ("PUT", "/orgs/{org_ref}"),
        ("GET", "/orgs/{org_ref}"),
        ("POST", "/links"),
        ("GET", "/links"),
        ("GET", "/links/{link_id}"),
        ("DELETE", "/links/{link_id}"),
        ("POST", "/orgs/{org_ref}/groups:sync"),
        ("GET", "/orgs/{org_ref}/groups/{group_ref}"),
        ("GET", "/profiles/{sub}/chats"),
    } <= operations
