"""The ID's password policy: validators in Django's ``AUTH_PASSWORD_VALIDATORS`` form, in Russian.

The platform's settings pick a profile (``PARTA_ID_PASSWORD_POLICY``):

- ``nist`` (the default) follows NIST SP 800-63B §3.1.1.2 (rev. 4) and OWASP's Authentication Cheat
  Sheet: at least 8 characters, up to 256 (every character counts, spaces and any alphabet included),
  not one of the commonly used passwords (Django's list of 20,000, plus a few Russian ones), and not like
  the account's own phone number or names. No rules about which kinds of characters to mix: NIST asks
  verifiers not to impose them, since they make passwords harder to remember, not to guess.
- ``seed`` adds the rule manual 001 shows under «Придумайте новый пароль»: «заглавные и строчные
  буквы, цифры и спецсимволы (! " # $ % ' ( ) *)», for a region that wants its users to see exactly that.

Each validator's :meth:`get_help_text` is one of «the active rules» the screens list under the new
password; :func:`parta.identity.actions.passwords.password_rules` collects them.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

from django.conf import settings
from django.contrib.auth import hashers, password_validation
from django.core.exceptions import ValidationError

from parta.identity.models import EducationalProfile

# Common Russian passwords that Django's (English-language) list lacks: the keyboard's top rows in the
# Russian layout, «пароль» and a few words that lead every Russian leak.
RUSSIAN_COMMON = frozenset(
    {
        "йцукен",
        "йцукенг",
        "йцукенгш",
        "йцукенгшщ",
        "йцукенгшщз",
        "йцукенгшщзхъ",
        "фывапролджэ",
        "фывапролд",
        "ячсмитьбю",
        "пароль",
        "пароль1",
        "пароль12",
        "пароль123",
        "парольпароль",
        "любовь",
        "солнышко",
        "привет",
        "приветик",
        "котенок",
        "зайка",
        "наташа",
        "максим",
        "россия",
        "москва",
        "qwertyйцукен",
    }
)


class LengthValidator:
    """At least ``min_length`` characters (8 by default) and at most ``max_length`` (256)."""

    def __init__(self, min_length: int = 8, max_length: int = 256) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                f"Пароль слишком короткий: нужно не меньше {self.min_length} символов.",
                code="password_too_short",
            )
        if len(password) > self.max_length:
            raise ValidationError(
                f"Пароль слишком длинный: можно не больше {self.max_length} символов.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Минимум {self.min_length} символов, не больше {self.max_length}"


class CharacterClassesValidator:
    """The ``seed`` profile's rule (manual 001): upper- and lower-case letters, digits and specials."""

    SPECIALS = "! \" # $ % ' ( ) *"

    def validate(self, password: str, user: Any = None) -> None:
        missing = []
        if not any(ch.isupper() for ch in password):
            missing.append("заглавную букву")
        if not any(ch.islower() for ch in password):
            missing.append("строчную букву")
        if not any(ch.isdigit() for ch in password):
            missing.append("цифру")
        if not any(not ch.isalnum() and not ch.isspace() for ch in password):
            missing.append(f"спецсимвол ({self.SPECIALS})")
        if missing:
            raise ValidationError(
                "Добавьте в пароль " + ", ".join(missing) + ".", code="password_character_classes"
            )

    def get_help_text(self) -> str:
        return f"Заглавные и строчные буквы, цифры и спецсимволы ({self.SPECIALS})"


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Not one of the commonly used passwords: Django's list of 20,000 and :data:`RUSSIAN_COMMON`."""

    def __init__(self, password_list_path: Any = None) -> None:
        if password_list_path is None:
            super().__init__()
        else:
            super().__init__(password_list_path)
        self.passwords = set(self.passwords) | RUSSIAN_COMMON

    def validate(self, password: str, user: Any = None) -> None:
        if password.lower().strip() in self.passwords:
            raise ValidationError(
                "Этот пароль слишком распространён — его легко подобрать. Придумайте другой.",
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return "Не из списка самых распространённых паролей"


class NotLikeAccountValidator:
    """Not like the account's phone number, its educational profile's names, or the service's name.

    NIST SP 800-63B asks to refuse «context-specific words, such as the name of the service, the
    username». A password is refused when it holds the phone's last 7 digits, or when it is as similar to
    one of those words as Django's ``UserAttributeSimilarityValidator`` allows (``max_similarity``).
    """

    def __init__(self, max_similarity: float = 0.7) -> None:
        self.max_similarity = max_similarity

    def _words(self, user: Any) -> list[tuple[str, str]]:
        words: list[tuple[str, str]] = []
        phone = getattr(user, "phone", "") or ""
        digits = re.sub(r"\D", "", phone)
        if digits:
            national = digits[1:] if len(digits) == 11 else digits
            words += [(variant, "номер телефона") for variant in (digits, national, "8" + national)]
        profile = None
        if user is not None and getattr(user, "pk", None):
            profile = EducationalProfile.objects.filter(account_id=user.pk).first()
        if profile is not None:
            words += [
                (profile.first_name, "имя"),
                (profile.last_name, "фамилию"),
                (profile.middle_name, "отчество"),
            ]
        for name in (getattr(settings, "PARTA_ID_NAME", ""), getattr(settings, "PARTA_PLATFORM_NAME", "")):
            words += [(part, "название сервиса") for part in re.split(r"\W+", name) if len(part) >= 3]
        return [(word.lower(), what) for word, what in words if word]

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        digits = re.sub(r"\D", "", password)
        phone = re.sub(r"\D", "", getattr(user, "phone", "") or "")
        if len(phone) >= 7 and phone[-7:] in digits:
            raise ValidationError(
                "Пароль не должен содержать ваш номер телефона.", code="password_too_similar"
            )
        for word, what in self._words(user):
            if len(lowered) >= 10 * len(word) and len(word) < self.max_similarity / 2 * len(lowered):
                continue  # Django's shortcut: so much longer a password cannot be this similar
            if SequenceMatcher(a=lowered, b=word).quick_ratio() >= self.max_similarity:
                raise ValidationError(
                    f"Пароль слишком похож на {what}. Придумайте другой.", code="password_too_similar"
                )

    def get_help_text(self) -> str:
        return "Не похож на ваш номер телефона, имя или фамилию"


class Argon2idHasher(hashers.Argon2PasswordHasher):
    """Argon2id with the parameters of OWASP's Password Storage Cheat Sheet rather than Django's.

    Django's defaults (100 MiB, 2 passes, 8 lanes) cost a sign-in about as much CPU as a whole page
    would; OWASP gives five equivalent Argon2id settings, and its fifth — 7 MiB, 5 passes, 1 lane,
    Keycloak's default too — is the default here (``PARTA_ID_ARGON2_MEMORY_KIB``,
    ``PARTA_ID_ARGON2_TIME_COST``, ``PARTA_ID_ARGON2_PARALLELISM``): of the five it costs the least CPU
    on the bench machine (18 ms against 27 ms for 19 MiB × 2, whose memory does not stay in the cache;
    bench/RESULTS.md). The
    algorithm's name stays ``argon2``: a hash written with other parameters still verifies, and Django
    re-hashes it with these at the next successful sign-in (``must_update``).
    """

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return int(getattr(settings, "PARTA_ID_ARGON2_TIME_COST", 5))

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return int(getattr(settings, "PARTA_ID_ARGON2_MEMORY_KIB", 7168))

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return int(getattr(settings, "PARTA_ID_ARGON2_PARALLELISM", 1))
