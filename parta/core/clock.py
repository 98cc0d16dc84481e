"""The platform's clock: ``now()`` is Django's ``timezone.now()``, moved by an offset in dev and tests.

A browser test cannot wait an hour for a conference to start, so in development and tests the servers'
clock can be moved: ``PARTA_CLOCK_OFFSET_FILE`` names a file holding a number of seconds (``3600``,
``-90.5``); every call of :func:`now` adds it. The file is read on each call, so a test that writes it
moves the clock of every running server at once; a missing or empty file means no offset.

The setting exists only when ``PARTA_DEV_OUTBOX=1`` or ``PARTA_TESTING=1`` (see the block «Messenger: bot,
conferences» of ``parta/sites/platform/settings.py``): a production site always runs on real time.
Only what decides by the time a person sees — join windows, expiry of the bot's requests — reads this
clock; row timestamps keep ``timezone.now()``.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("parta.core.clock")


def offset() -> dt.timedelta:
    """The configured offset (zero without ``PARTA_CLOCK_OFFSET_FILE``, a file, or a number in it)."""
    path = getattr(settings, "PARTA_CLOCK_OFFSET_FILE", "")
    if not path:
        return dt.timedelta(0)
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return dt.timedelta(0)
    if not text:
        return dt.timedelta(0)
    try:
        return dt.timedelta(seconds=float(text))
    except ValueError:
        logger.warning("PARTA_CLOCK_OFFSET_FILE %s holds %r, not a number of seconds: ignored", path, text)
        return dt.timedelta(0)


def now() -> dt.datetime:
    """The current time (aware, UTC), plus the dev/test offset if one is set."""
    return timezone.now() + offset()
