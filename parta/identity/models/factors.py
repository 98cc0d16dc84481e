"""The second ways to prove that an account is one's own when its password is forgotten (manual 001):
a code-generator app (TOTP) and trusted friends. The third, a confirmed e-mail address, is on the
account itself (``Account.email_confirmed_at``).

Both are set up beforehand on the account page (``/id/account/``) and used by recovery
(``parta.identity.actions.recovery``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class TotpDevice(models.Model):
    """«Приложение-генератор кодов»: an RFC 6238 secret shared with the person's app.

    The secret has to be readable to check a code (like django-otp's ``TOTPDevice``); it is never shown
    again after the setup and never logged. ``last_step`` is the time step of the last code accepted: a
    code of that step or an earlier one is refused, so an overheard code cannot be replayed.
    """

    account = models.OneToOneField(
        "identity.Account", on_delete=models.CASCADE, related_name="totp", verbose_name="аккаунт"
    )
    secret = models.CharField("секрет (base32)", max_length=64)
    confirmed_at = models.DateTimeField("подключено", default=timezone.now)
    last_step = models.BigIntegerField("последний принятый шаг", null=True, blank=True)

    class Meta:
        verbose_name = "приложение-генератор кодов"
        verbose_name_plural = "приложения-генераторы кодов"

    def __str__(self) -> str:
        return f"TOTP · {self.account_id}"


class TrustedFriend(models.Model):
    """A person the account's owner trusts to vouch for them: a code sent to the friend, passed on by
    phone or in person, is one of the two that recovery by friends needs."""

    account = models.ForeignKey(
        "identity.Account", on_delete=models.CASCADE, related_name="trusted_friends", verbose_name="аккаунт"
    )
    friend = models.ForeignKey(
        "identity.Account", on_delete=models.CASCADE, related_name="trusted_by", verbose_name="друг"
    )
    created_at = models.DateTimeField("добавлен", default=timezone.now)

    class Meta:
        verbose_name = "доверенный друг"
        verbose_name_plural = "доверенные друзья"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "friend"], name="identity_trusted_friend_once"),
            models.CheckConstraint(
                condition=~models.Q(account=models.F("friend")), name="identity_trusted_friend_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} → {self.friend_id}"
