"""Forms of the ID's screens. Labels are the manuals' words; messages are Russian and plain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from parta.core.phones import PhoneError, phone_normalize
from parta.identity.actions.profiles import ProfileError, birth_date_clean, name_clean
from parta.identity.models import Gender


class LoginForm(forms.Form):
    """«Вход в …»: «Телефон или почта»."""

    login = forms.CharField(
        label="Телефон или почта",
        max_length=254,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
                "placeholder": "+7 (9XX) XXX-XX-XX",
            }
        ),
        error_messages={
            "required": "Введите номер телефона.",
            "max_length": "Слишком длинно для телефона или почты.",
        },
    )

    def clean_login(self) -> tuple[str, str]:
        """``("phone", "+79…")`` or ``("email", "name@example.ru")``."""
        raw = self.cleaned_data["login"].strip()
        if "@" in raw:
            try:
                validate_email(raw)
            except ValidationError as error:
                raise ValidationError("Проверьте адрес почты: например, name@mail.ru.") from error
            return ("email", raw.lower())
        try:
            return (
                "phone",
                phone_normalize(
                    raw, russian_mobile_only=getattr(settings, "PARTA_ID_RUSSIAN_MOBILE_ONLY", True)
                ),
            )
        except PhoneError as error:
            raise ValidationError(str(error)) from error


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="Пароль",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "autofocus": True, "placeholder": "Введите пароль"}
        ),
        error_messages={"required": "Введите пароль.", "max_length": "Слишком длинный пароль."},
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Введите код",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
        error_messages={"required": "Введите код.", "max_length": "Код намного короче."},
    )

    def __init__(self, *args: Any, label: str, length: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = label
        field.widget.attrs["maxlength"] = str(length + 3)  # room for a space or dash typed inside
        if length == 4:
            field.widget.attrs["placeholder"] = "Введите 4 цифры"
            field.error_messages["required"] = "Введите 4 цифры."


GENDER_CHOICES = [("", "Пол"), (Gender.FEMALE.value, "Женский"), (Gender.MALE.value, "Мужской")]


class AboutForm(forms.Form):
    """«Информация о себе»: Имя, Фамилия, Отчество, День рождения, Пол."""

    first_name = forms.CharField(
        label="Имя",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "given-name", "autocapitalize": "words"}),
        required=False,
    )
    last_name = forms.CharField(
        label="Фамилия",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "family-name", "autocapitalize": "words"}),
        required=False,
    )
    middle_name = forms.CharField(
        label="Отчество",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "additional-name", "autocapitalize": "words"}),
        required=False,
        help_text="Если отчества нет, оставьте поле пустым.",
    )
    birth_date = forms.DateField(
        label="День рождения",
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Укажите день рождения.",
            "invalid": "Введите дату рождения в формате ДД.ММ.ГГГГ.",
        },
    )
    gender = forms.ChoiceField(
        label="Пол",
        choices=GENDER_CHOICES,
        error_messages={"required": "Выберите пол.", "invalid_choice": "Выберите пол."},
    )

    def _name(self, field: str, *, required: bool = True) -> str:
        try:
            return name_clean(self.cleaned_data.get(field, ""), field=field, required=required)
        except ProfileError as error:
            raise ValidationError(str(error)) from error

    def clean_first_name(self) -> str:
        return self._name("first_name")

    def clean_last_name(self) -> str:
        return self._name("last_name")

    def clean_middle_name(self) -> str:
        return self._name("middle_name", required=False)

    def clean_birth_date(self) -> dt.date:
        try:
            return birth_date_clean(self.cleaned_data.get("birth_date"))
        except ProfileError as error:
            raise ValidationError(str(error)) from error


# --- recovery and the account page ----------------------------------------------------------------------


def _phone_clean(raw: str) -> str:
    try:
        return phone_normalize(
            raw.strip(), russian_mobile_only=getattr(settings, "PARTA_ID_RUSSIAN_MOBILE_ONLY", True)
        )
    except PhoneError as error:
        raise ValidationError(str(error)) from error


class PhoneForm(forms.Form):
    """A mobile number: recovery's «Номер телефона», a new number, a friend's number."""

    phone = forms.CharField(
        label="Номер телефона",
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "+7 (9XX) XXX-XX-XX"}
        ),
        error_messages={"required": "Введите номер телефона.", "max_length": "Слишком длинно для номера."},
    )

    def __init__(self, *args: Any, label: str = "Номер телефона", autofocus: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["phone"].label = label
        if autofocus:
            self.fields["phone"].widget.attrs["autofocus"] = True

    def clean_phone(self) -> str:
        return _phone_clean(self.cleaned_data["phone"])


def _new_password_field(label: str, *, autofocus: bool = False) -> forms.CharField:
    attrs: dict[str, Any] = {"autocomplete": "new-password"}
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(
        label=label,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs=attrs),
        error_messages={"required": "Введите новый пароль.", "max_length": "Слишком длинный пароль."},
    )


class NewPasswordForm(forms.Form):
    """«Придумайте новый пароль»: the password twice and «Выйти на всех устройствах, кроме этого»."""

    password1 = _new_password_field("Введите новый пароль", autofocus=True)
    password2 = _new_password_field("Повторите новый пароль")
    # A new password always ends the other sessions (docs/identity.md, «Пароли»): the box is shown, as in
    # the manual, ticked and locked, so nobody believes that leaving it clear keeps them.
    end_sessions = forms.BooleanField(
        label="Выйти на всех устройствах, кроме этого",
        required=False,
        initial=True,
        disabled=True,
        help_text="После смены пароля мы всегда завершаем сеансы на других устройствах и отключаем "
        "доступ сервисов: так в аккаунте не останется никого, кто знал старый пароль.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password2"].error_messages["required"] = "Повторите новый пароль."


class ChangePasswordForm(NewPasswordForm):
    """«Пароль» on the account page: the current password first, when there is one."""

    current = forms.CharField(
        label="Текущий пароль",
        strip=False,
        max_length=4096,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    field_order = ["current", "password1", "password2", "end_sessions"]

    def __init__(self, *args: Any, has_password: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_password:
            self.fields["current"].required = True
            self.fields["current"].error_messages["required"] = "Введите текущий пароль."
            self.fields["password1"].widget.attrs.pop("autofocus", None)
        else:
            del self.fields["current"]
        del self.fields["end_sessions"]


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="Адрес электронной почты",
        max_length=254,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autofocus": True, "placeholder": "name@mail.ru"}
        ),
        error_messages={
            "required": "Введите адрес почты.",
            "invalid": "Проверьте адрес почты: например, name@mail.ru.",
            "max_length": "Слишком длинный адрес.",
        },
    )
