"""E-mail codes through Django's e-mail backends (``EMAIL_BACKEND``; SMTP settings from the environment)."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail

from parta.identity.delivery import DeliveryError, Message

logger = logging.getLogger("parta.identity.delivery")


class DjangoEmailSender:
    def send_email(self, message: Message) -> None:
        try:
            sent = send_mail(
                message.subject,
                message.text,
                settings.DEFAULT_FROM_EMAIL,
                [message.to],
                fail_silently=False,
            )
        except (smtplib.SMTPException, OSError) as error:
            # The error names the server's complaint, never the letter (it holds the code).
            logger.warning("E-mail to the ID's user was not sent: %s", type(error).__name__)
            raise DeliveryError(f"e-mail not sent: {type(error).__name__}") from error
        if sent != 1:
            raise DeliveryError("e-mail not sent: the backend accepted no message")
