"""The ID's sign-in screens in a real browser, step by step as manuals 000, 001, 002 and 004 tell them.

Each test starts at ``<platform>/id/?next=/id/`` (the OIDC authorize endpoint that will send journals
here is built separately), reads the codes the ID "sent" from the dev outbox, and finds every field and
button by its visible Russian label. Screens are saved to ``test-artifacts/id-*.png``.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, PUSH_PHONES, Parta

pytestmark = pytest.mark.browser
PASSWORD = "Correct-horse-9"
_numbers = itertools.count(1)


def new_phone() -> str:
    """A number no other browser test uses: +7 999 200-00-NN."""
    return f"+799920000{next(_numbers):02d}"


def shown(phone: str) -> str:
    return f"+7 {phone[2:5]} {phone[5:8]}-{phone[8:10]}-{phone[10:12]}"


def masked(phone: str) -> str:
    return f"+7 {phone[2:5]} ***-**-{phone[10:12]}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"id-{name}.png"), full_page=True)


def create_account(parta: Parta, phone: str, *, password: str | None = None, profile: bool = False) -> None:
    parta.platform_shell(
        "import datetime\n"
        "from parta.identity.models import Account, EducationalProfile\n"
        f"a = Account.objects.create_user({phone!r}, {password!r})\n"
        + (
            "EducationalProfile.objects.create(account=a, last_name='Власенков', first_name='Семен', "
            "middle_name='Леонидович', birth_date=datetime.date(1978, 12, 12), gender='male')\n"
            if profile
            else ""
        )
    )


def start(page: Page, parta: Parta, next_url: str = "/id/") -> None:
    page.goto(f"{parta.platform}/id/?next={quote(next_url)}")
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()


def enter_phone(page: Page, typed: str) -> None:
    page.get_by_label("Телефон или почта").fill(typed)
    page.get_by_role("button", name="Продолжить", exact=True).click()


def confirm_with_sms(page: Page, parta: Parta, phone: str) -> None:
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    expect(page.get_by_text(f"SMS с кодом отправлено на телефон {shown(phone)}")).to_be_visible()
    page.get_by_label("Введите код").fill(parta.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()


def fill_about(page: Page) -> None:
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    page.get_by_label("Имя", exact=True).fill("Мария")
    page.get_by_label("Фамилия").fill("Иванова")
    page.get_by_label("Отчество").fill("Петровна")
    page.get_by_label("День рождения").fill("1986-04-12")
    page.get_by_label("Пол").select_option(label="Женский")


def expect_signed_in(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", name="Вы вошли в Сферум ID")).to_be_visible()
    expect(page.get_by_text(name).first).to_be_visible()


def sign_up(page: Page, parta: Parta, phone: str) -> None:
    start(page, parta)
    enter_phone(page, phone)
    confirm_with_sms(page, parta, phone)
    page.get_by_role("button", name="Создать учебный профиль").click()
    fill_about(page)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect_signed_in(page, "Мария Иванова")


# --- flow 1 then 3 then 5: no account yet (manual 000 «Привязка при отсутствии аккаунта», 002 variant 3)


def test_new_phone_gets_a_code_and_creates_the_educational_profile(page: Page, parta: Parta) -> None:
    phone = new_phone()
    start(page, parta)
    # The left panel of every screen.
    expect(page.get_by_text("С сервисом «Сферум» можно связать свой учебный профиль")).to_be_visible()
    expect(page.get_by_text("Вход в учебный профиль в «Сферум Мессенджер» по Сферум ID")).to_be_visible()
    expect(page.get_by_text("Общение в защищенном от посторонних лиц пространстве")).to_be_visible()
    expect(
        page.get_by_text(
            "Нажимая «Продолжить», вы принимаете пользовательское соглашение и политику конфиденциальности"
        )
    ).to_be_visible()
    shot(page, "1-vhod")
    enter_phone(page, f"8 ({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:12]}")

    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile(r"^Отправить SMS через [12]:[0-5]\d$"))
    ).to_be_disabled()
    expect(page.get_by_role("link", name="Изменить номер телефона")).to_be_visible()
    shot(page, "3-sms")
    confirm_with_sms(page, parta, phone)

    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    expect(page.get_by_text("Ваш учебный профиль будет связан с аккаунтом Сферум ID")).to_be_visible()
    expect(page.get_by_text(masked(phone))).to_be_visible()
    expect(page.get_by_role("button", name="Войти в другой аккаунт")).to_be_visible()
    shot(page, "5-sozdayte")
    page.get_by_role("button", name="Создать учебный профиль").click()

    fill_about(page)
    page.get_by_label("Отчество").fill("")  # «Отчество» may be empty
    shot(page, "5-informaciya")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect_signed_in(page, "Мария Иванова")
    expect(page.get_by_text("Учебный профиль: Иванова Мария")).to_be_visible()
    shot(page, "6-voshli")


def test_what_the_journal_receives_is_listed_under_transferred_data(page: Page, parta: Parta) -> None:
    parta.platform_shell(
        "from parta.identity.tests.factories import journal_client\n"
        "journal_client('БАРС.Электронная школа', client_id='e2e-journal')\n"
    )
    authorize = "/id/authorize/?client_id=e2e-journal&response_type=code&scope=openid+phone+edu_profile"
    start(page, parta, authorize)
    expect(
        page.get_by_text("С сервисом «БАРС.Электронная школа» можно связать свой учебный профиль")
    ).to_be_visible()
    page.get_by_text("Передаваемые данные").click()
    for line in ("Номер телефона и то, что он подтверждён", "Фамилия, имя и отчество", "Дата рождения"):
        expect(page.get_by_text(line)).to_be_visible()
    shot(page, "1-peredavaemye-dannye")


def test_a_wrong_number_gets_a_clear_message(page: Page, parta: Parta) -> None:
    start(page, parta)
    enter_phone(page, "+7 495 123-45-67")
    expect(page.get_by_text("Нужен номер мобильного телефона российского оператора")).to_be_visible()
    enter_phone(page, "952-11a")
    expect(
        page.get_by_text("Номер телефона может содержать только цифры, пробелы, скобки и дефисы.")
    ).to_be_visible()
    shot(page, "1-oshibka-nomera")


def test_change_the_phone_number_and_ask_again(page: Page, parta: Parta) -> None:
    first, second = new_phone(), new_phone()
    start(page, parta)
    enter_phone(page, first)
    expect(page.get_by_text(f"SMS с кодом отправлено на телефон {shown(first)}")).to_be_visible()
    page.get_by_role("link", name="Изменить номер телефона").click()
    expect(page.get_by_label("Телефон или почта")).to_have_value(shown(first))
    enter_phone(page, second)
    confirm_with_sms(page, parta, second)
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()


# --- flow 2: an account with a password (manual 002 variants 1 and 2, manual 004) ----------------------


def test_account_with_a_password_and_a_profile(page: Page, parta: Parta) -> None:
    phone = new_phone()
    create_account(parta, phone, password=PASSWORD, profile=True)
    start(page, parta)
    enter_phone(page, phone)

    expect(page.get_by_role("heading", name="Введите пароль")).to_be_visible()
    expect(
        page.get_by_text(f"Введите ваш текущий пароль, привязанный к номеру {shown(phone)}")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Забыли или не установили пароль?")).to_be_visible()
    page.get_by_label("Пароль", exact=True).fill("not-my-password")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный пароль.")
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Показать пароль").click()
    expect(page.get_by_label("Пароль", exact=True)).to_have_attribute("type", "text")
    shot(page, "2-parol")
    page.get_by_role("button", name="Продолжить", exact=True).click()

    confirm_with_sms(page, parta, phone)
    expect(page.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()
    expect(page.get_by_text("Ваш профиль для связки")).to_be_visible()
    expect(page.get_by_text("Семен Власенков")).to_be_visible()
    expect(page.get_by_text(masked(phone))).to_be_visible()
    shot(page, "5-vybor-profilya")
    page.get_by_role("button", name="Продолжить в учебном профиле").click()

    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    expect(page.get_by_label("Фамилия")).to_have_value("Власенков")
    expect(page.get_by_label("Отчество")).to_have_value("Леонидович")
    expect(page.get_by_label("День рождения")).to_have_value("1978-12-12")
    expect(page.get_by_label("Пол")).to_have_value("male")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect_signed_in(page, "Семен Власенков")


def test_account_with_a_password_but_no_profile(page: Page, parta: Parta) -> None:
    phone = new_phone()
    create_account(parta, phone, password=PASSWORD)
    start(page, parta)
    enter_phone(page, phone)
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    confirm_with_sms(page, parta, phone)
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    page.get_by_role("button", name="Создать учебный профиль").click()
    fill_about(page)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect_signed_in(page, "Мария Иванова")


def test_forgot_the_password_leads_to_recovery(page: Page, parta: Parta) -> None:
    phone = new_phone()
    create_account(parta, phone, password=PASSWORD)
    start(page, parta)
    enter_phone(page, phone)
    page.get_by_role("link", name="Забыли или не установили пароль?").click()
    expect(page.get_by_role("heading", name="Восстановление доступа")).to_be_visible()
    expect(page.get_by_label("Номер телефона")).to_have_value(shown(phone))
    expect(page.get_by_text("службу технической поддержки")).to_be_visible()
    shot(page, "2-vosstanovlenie")  # the whole of recovery: tests/e2e/test_id_recovery.py


# --- flow 3: the ways to confirm -----------------------------------------------------------------------


def test_call_reset_last_four_digits_of_the_calling_number(page: Page, parta: Parta) -> None:
    phone = new_phone()
    start(page, parta)
    enter_phone(page, phone)
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    page.get_by_role("link", name="Подтвердить другим способом").click()
    # No push without a signed-in messenger session.
    expect(page.get_by_role("button", name=re.compile("SMS"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("push"))).to_have_count(0)
    shot(page, "3-drugoy-sposob")
    page.get_by_role("button", name="Получить звонок-сброс").click()

    expect(
        page.get_by_text(
            "Вам поступит звонок-сброс с уникального номера. Введите последние 4 цифры этого номера"
        )
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Звонок поступит в течение 0[01]:[0-5]\d$"))).to_be_visible()
    shot(page, "3-zvonok")
    call = parta.latest_message(phone, "call")
    page.get_by_label("Введите 4 цифры").fill(call["caller_number"][-4:])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()


def test_push_code_when_a_messenger_session_exists(page: Page, parta: Parta) -> None:
    phone = PUSH_PHONES[0]
    create_account(parta, phone, password=PASSWORD, profile=True)
    start(page, parta)
    enter_phone(page, phone)
    expect(page.get_by_text("Мы отправили push-уведомление с кодом на ваше устройство")).to_be_visible()
    expect(page.get_by_role("link", name="Подтвердить другим способом")).to_be_visible()
    expect(page.get_by_role("link", name="Войти при помощи пароля")).to_be_visible()
    shot(page, "3-push")
    page.get_by_label("Код", exact=True).fill(parta.latest_message(phone, "push")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Выбор учебного профиля")).to_be_visible()


def test_push_is_not_offered_without_a_messenger_session(page: Page, parta: Parta) -> None:
    phone = new_phone()
    create_account(parta, phone, profile=True)
    start(page, parta)
    enter_phone(page, phone)
    expect(page.get_by_text(f"SMS с кодом отправлено на телефон {shown(phone)}")).to_be_visible()
    expect(page.get_by_text("push-уведомление")).to_have_count(0)
    assert [m["channel"] for m in parta.outbox(phone)] == ["sms"]


def test_wrong_code_five_times(page: Page, parta: Parta) -> None:
    phone = new_phone()
    start(page, parta)
    enter_phone(page, phone)
    right = parta.latest_message(phone, "sms")["code"]
    wrong = "000000" if right != "000000" else "111111"
    expected = [
        "Неверный код. Осталось 4 попытки.",
        "Неверный код. Осталось 3 попытки.",
        "Неверный код. Осталось 2 попытки.",
        "Неверный код. Осталась 1 попытка.",
        "Неверный код. Попытки закончились — запросите новый код.",
    ]
    for message in expected:
        page.get_by_label("Введите код").fill(wrong)
        page.get_by_role("button", name="Продолжить", exact=True).click()
        expect(page.get_by_role("alert")).to_have_text(message)
    # The dead code cannot be entered any more, not even the right one: a new code is needed.
    expect(page.get_by_label("Введите код")).to_have_count(0)
    page.reload()
    expect(page.get_by_role("alert")).to_have_text(
        "Вы ввели неверный код слишком много раз. Запросите новый код."
    )
    expect(page.get_by_role("button", name=re.compile(r"^Отправить SMS через"))).to_be_visible()
    expect(page.get_by_role("link", name="Подтвердить другим способом")).to_be_visible()
    shot(page, "3-nevernyy-kod")
    assert right not in page.content()


def test_expired_code(page: Page, parta: Parta) -> None:
    phone = new_phone()
    start(page, parta)
    enter_phone(page, phone)
    expect(page.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    # Ten minutes pass: the servers are separate processes, so the code's lifetime is ended in the database.
    parta.platform_shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from parta.identity.models import Code\n"
        f"Code.objects.filter(target={phone!r}).update(expires_at=timezone.now() - timedelta(seconds=1))\n"
    )
    page.get_by_label("Введите код").fill(parta.latest_message(phone, "sms")["code"])
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Срок действия кода истёк. Запросите новый код.")


def test_resend_too_early_is_refused_by_the_server(page: Page, parta: Parta) -> None:
    phone = new_phone()
    start(page, parta)
    enter_phone(page, phone)
    resend = page.get_by_role("button", name=re.compile(r"^Отправить SMS через"))
    expect(resend).to_be_disabled()
    # Someone enables the button by hand: the server still refuses.
    resend.evaluate("button => { button.disabled = false; button.click(); }")
    expect(page.get_by_role("alert")).to_contain_text("Отправить SMS повторно можно через")
    assert len(parta.outbox(phone)) == 1
    shot(page, "3-rano")


# --- flow 4: already signed in in this browser (manual 000's shared computer) --------------------------


def test_already_signed_in_continues_with_the_same_profile(page: Page, parta: Parta) -> None:
    phone = new_phone()
    sign_up(page, parta, phone)
    page.goto(f"{parta.platform}/id/?next=/id/")
    expect(page.get_by_role("heading", name="Ваш профиль для связки")).to_be_visible()
    expect(page.get_by_text("Мария Иванова")).to_be_visible()
    expect(page.get_by_text(masked(phone))).to_be_visible()
    expect(page.get_by_text("Если вы работаете не с личного устройства")).to_be_visible()
    shot(page, "4-profil-dlya-svyazki")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect(page.get_by_role("heading", name="Информация о себе")).to_be_visible()
    expect(page.get_by_label("Имя", exact=True)).to_have_value("Мария")
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect_signed_in(page, "Мария Иванова")
    assert len(parta.outbox(phone)) == 1  # no second code


def test_already_signed_in_signs_in_to_another_account(page: Page, parta: Parta) -> None:
    sign_up(page, parta, new_phone())
    page.goto(f"{parta.platform}/id/?next=/id/")
    page.get_by_role("button", name="Войти в другой аккаунт").click()
    expect(page.get_by_role("heading", name="Вход в Сферум ID")).to_be_visible()
    other = new_phone()
    enter_phone(page, other)
    confirm_with_sms(page, parta, other)
    expect(page.get_by_role("heading", name="Создайте учебный профиль")).to_be_visible()
    expect(page.get_by_text(masked(other))).to_be_visible()


# --- a sign-in for a page of this site, without an OIDC request (the messenger's root does this) ---------


def test_a_sign_in_comes_back_to_the_page_that_asked_for_it(page: Page, parta: Parta) -> None:
    phone = new_phone()
    page.goto(f"{parta.platform}/id/?next={quote('/id/terms/')}")
    enter_phone(page, phone)
    confirm_with_sms(page, parta, phone)
    page.get_by_role("button", name="Создать учебный профиль").click()
    fill_about(page)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    page.wait_for_url(f"{parta.platform}/id/terms/")


def test_a_next_to_another_site_is_ignored(page: Page, parta: Parta) -> None:
    phone = new_phone()
    page.goto(f"{parta.platform}/id/?next={quote('//evil.example/steal')}")
    enter_phone(page, phone)
    confirm_with_sms(page, parta, phone)
    page.get_by_role("button", name="Создать учебный профиль").click()
    fill_about(page)
    page.get_by_role("button", name="Продолжить", exact=True).click()
    expect_signed_in(page, "Мария Иванова")
    assert page.url.startswith(parta.platform)


# --- on a phone ----------------------------------------------------------------------------------------


def test_the_whole_sign_up_on_a_phone(phone: Page, parta: Parta) -> None:
    number = new_phone()
    start(phone, parta)
    shot(phone, "phone-1-vhod")
    enter_phone(phone, number[2:])  # typed as 9XXXXXXXXX
    expect(phone.get_by_role("heading", name="Подтвердите вход")).to_be_visible()
    shot(phone, "phone-3-sms")
    confirm_with_sms(phone, parta, number)
    phone.get_by_role("button", name="Создать учебный профиль").click()
    fill_about(phone)
    shot(phone, "phone-5-informaciya")
    phone.get_by_role("button", name="Продолжить", exact=True).click()
    expect_signed_in(phone, "Мария Иванова")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
