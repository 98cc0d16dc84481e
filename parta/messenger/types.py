"""The shape of an educational profile as the messenger uses it.

The profile is the ID's model (``identity.EducationalProfile``); the messenger may not import it
(import-linter: "The messenger sees the ID only through parta.identity.public"). Functions here take any
object with these attributes — the profile rows reached through the messenger's own foreign keys are
such objects — and write foreign keys by id (``profile_id=profile.pk``).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol


class Profile(Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def sub(self) -> uuid.UUID: ...

    @property
    def last_name(self) -> str: ...

    @property
    def first_name(self) -> str: ...

    @property
    def middle_name(self) -> str: ...

    @property
    def full_name(self) -> str: ...

    @property
    def display_name(self) -> str: ...
