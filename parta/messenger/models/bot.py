"""The community bot's interactive requests: a message in a profile's «Сферум» chat with buttons.

A :class:`BotRequest` is one message (:class:`~parta.messenger.models.Message` written by the bot) that
asks its chat's owner to choose. Each :class:`BotButton` carries a callback token: a random secret the
page sends back when the button is pressed. A token is accepted only from the profile the request was
posted to, only before the request expires, and only once: the first press answers the whole request
(its ``outcome`` is set), so pressing again — or the other button, or in a second tab — acts no more.
Answered requests keep the outcome text the message shows instead of its buttons.

``purpose`` names what answering does (``"link_request"``: manual 003's «Подключить» / «Не подключать»,
see :mod:`parta.messenger.actions.link_requests`); an empty purpose only records the choice.
Written only by :mod:`parta.messenger.actions.bot`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from parta.core import clock


class BotRequest(models.Model):
    message = models.OneToOneField(
        "messenger.Message", on_delete=models.CASCADE, related_name="bot_request", verbose_name="сообщение"
    )
    profile = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="кому",
        help_text="Только этот профиль может ответить на запрос.",
    )
    purpose = models.CharField("назначение", max_length=40, blank=True)
    created_at = models.DateTimeField("отправлен", default=timezone.now)
    expires_at = models.DateTimeField("действует до")
    # The value of the button pressed, or "expired"; empty while the request waits for an answer.
    outcome = models.CharField("ответ", max_length=40, blank=True)
    outcome_text = models.CharField("что показано после ответа", max_length=500, blank=True)
    answered_at = models.DateTimeField("когда ответили", null=True, blank=True)

    class Meta:
        verbose_name = "запрос бота"
        verbose_name_plural = "запросы бота"
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["purpose", "outcome", "expires_at"], name="messenger_botreq_waiting"),
        ]

    def __str__(self) -> str:
        return f"запрос {self.pk} ({self.purpose or 'без назначения'}): {self.outcome or 'ждёт ответа'}"

    @property
    def is_answered(self) -> bool:
        return bool(self.outcome)

    @property
    def is_expired(self) -> bool:
        """Unanswered past ``expires_at`` (by the platform's clock)."""
        return not self.outcome and clock.now() >= self.expires_at

    @property
    def is_open(self) -> bool:
        """Buttons are shown and work."""
        return not self.outcome and clock.now() < self.expires_at


class BotButton(models.Model):
    request = models.ForeignKey(
        BotRequest, on_delete=models.CASCADE, related_name="buttons", verbose_name="запрос"
    )
    position = models.PositiveSmallIntegerField("порядок", default=0)
    label = models.CharField("надпись", max_length=60)
    value = models.CharField("значение", max_length=40)
    # The callback token. It is only good together with the session of ``request.profile`` (the view
    # checks both), so it is kept as it is: the page that shows the button needs it back.
    token = models.CharField("ключ кнопки", max_length=64, unique=True, editable=False)
    pressed_at = models.DateTimeField("нажата", null=True, blank=True)

    class Meta:
        verbose_name = "кнопка запроса"
        verbose_name_plural = "кнопки запросов"
        ordering = ["request", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "value"], name="messenger_botbutton_one_value"),
        ]

    def __str__(self) -> str:
        return self.label
