"""The educational profile («Информация о себе»): real-looking names, a plausible birth date, a gender.

Names may hold letters of one alphabet (Cyrillic or Latin), and hyphens, apostrophes and single spaces
between them; never digits, punctuation, control or direction characters (those are how a name is made
to look like another on screen).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from parta.identity.actions.audit import audit_record
from parta.identity.models import Account, AuditKind, EducationalProfile, Gender

NAME_MAX_LENGTH = 50
MIN_AGE_YEARS = 5
MAX_AGE_YEARS = 120
_SEPARATORS = {"-", "'", "\u2019", "\u02bc", " "}


class ProfileError(Exception):
    """A refused value; ``field`` is the form field, ``str(error)`` the Russian message."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class _NameField:
    field: str
    nominative: str  # «Имя»
    prepositional: str  # «имени»
    accusative: str  # «имя», «фамилию»


NAME_FIELDS = {
    "first_name": _NameField("first_name", "Имя", "имени", "имя"),
    "last_name": _NameField("last_name", "Фамилия", "фамилии", "фамилию"),
    "middle_name": _NameField("middle_name", "Отчество", "отчестве", "отчество"),
}


def _script(letter: str) -> str:
    name = unicodedata.name(letter, "")
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    if name.startswith("LATIN"):
        return "latin"
    return "other"


def name_clean(value: str, *, field: str, required: bool = True) -> str:
    """The name as it will be stored, or :class:`ProfileError` with a message about ``field``."""
    spec = NAME_FIELDS[field]
    text = unicodedata.normalize("NFC", value or "")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"} for ch in text):
        raise ProfileError(
            f"В {spec.prepositional} есть невидимые или служебные символы. Введите {spec.accusative} заново.",
            field=field,
        )
    text = re.sub(r"[ \t\u00a0]+", " ", text).strip()
    if not text:
        if required:
            raise ProfileError(f"Введите {spec.accusative}.", field=field)
        return ""
    if len(text) > NAME_MAX_LENGTH:
        raise ProfileError(
            f"В {spec.prepositional} должно быть не больше {NAME_MAX_LENGTH} символов.", field=field
        )
    if any(ch.isdigit() for ch in text):
        raise ProfileError(f"В {spec.prepositional} не может быть цифр.", field=field)
    letters = [ch for ch in text if ch not in _SEPARATORS]
    if any(not unicodedata.category(ch).startswith("L") for ch in letters):
        raise ProfileError(
            f"{spec.nominative} может содержать только буквы, дефис, апостроф и пробел.", field=field
        )
    scripts = {_script(ch) for ch in letters}
    if "other" in scripts or len(scripts) > 1:
        raise ProfileError(
            f"{spec.accusative.capitalize()} нужно написать буквами одного алфавита — "
            "русского или латинского.",
            field=field,
        )
    if (
        text[0] in _SEPARATORS
        or text[-1] in _SEPARATORS
        or any(a in _SEPARATORS and b in _SEPARATORS for a, b in itertools.pairwise(text))
    ):
        raise ProfileError(
            f"Проверьте {spec.accusative}: дефис, апостроф и пробел могут стоять только между буквами.",
            field=field,
        )
    if re.search(r"(.)\1\1", text.lower()):
        raise ProfileError(
            f"Проверьте {spec.accusative}: одна буква повторяется три раза подряд.", field=field
        )
    return text


def birth_date_clean(value: dt.date | None, *, today: dt.date | None = None) -> dt.date:
    """A plausible birth date: not in the future, an age from 5 to 120 years."""
    if value is None:
        raise ProfileError("Укажите день рождения.", field="birth_date")
    today = today or timezone.localdate()
    if value > today:
        raise ProfileError("Дата рождения не может быть в будущем.", field="birth_date")
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if age < MIN_AGE_YEARS:
        raise ProfileError(
            f"Учебный профиль создают с {MIN_AGE_YEARS} лет. Проверьте дату рождения.", field="birth_date"
        )
    if age > MAX_AGE_YEARS:
        raise ProfileError("Проверьте год рождения.", field="birth_date")
    return value


def profile_save(
    *,
    account: Account,
    first_name: str,
    last_name: str,
    middle_name: str,
    birth_date: dt.date | None,
    gender: str,
    ip: str | None = None,
) -> EducationalProfile:
    """Create the account's educational profile, or update it with what the person checked."""
    values = {
        "first_name": name_clean(first_name, field="first_name"),
        "last_name": name_clean(last_name, field="last_name"),
        "middle_name": name_clean(middle_name, field="middle_name", required=False),
        "birth_date": birth_date_clean(birth_date),
        "gender": gender,
    }
    if gender not in Gender.values:
        raise ProfileError("Выберите пол.", field="gender")
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        profile = EducationalProfile.objects.filter(account_id=account.pk).first()
        if profile is None:
            profile = EducationalProfile.objects.create(account_id=account.pk, **values)
            audit_record(kind=AuditKind.PROFILE_CREATED, account=account, target=account.phone, ip=ip)
            return profile
        changed = [name for name, value in values.items() if getattr(profile, name) != value]
        if changed:
            for name in changed:
                setattr(profile, name, values[name])
            profile.save(update_fields=changed)
            audit_record(
                kind=AuditKind.PROFILE_UPDATED, account=account, target=account.phone, ip=ip, fields=changed
            )
    return profile
