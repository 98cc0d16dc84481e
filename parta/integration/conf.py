"""The integration's configuration: the settings block «Integration» of the journal site, completed from
the credentials file that ``parta platform register_journal --credentials-file`` writes (the demo's
``var/demo-journal-client.json``). Read at use, so a journal started before its registration picks it up.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

LINKING_METHODS = ("id", "messenger", "both")
UNLINK_POLICIES = ("self", "support_only")


class NotConfiguredError(Exception):
    """The ID's client id, secret, issuer or the API token is missing."""


@dataclass(frozen=True)
class Config:
    client_id: str
    client_secret: str
    issuer: str
    api_url: str  # …/api/v1
    api_token: str
    platform_url: str  # the messenger's root, «Перейти в Сферум»
    redirect_uri: str  # "" = built from the request
    timeout: float
    id_name: str
    platform_name: str
    journal_name: str

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


_file_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _credentials() -> dict[str, Any]:
    path = Path(str(getattr(settings, "PARTA_INTEGRATION_CREDENTIALS_FILE", "") or ""))
    if not path.name or not path.is_file():
        return {}
    mtime = path.stat().st_mtime
    cached = _file_cache.get(str(path))
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    data = data if isinstance(data, dict) else {}
    _file_cache[str(path)] = (mtime, data)
    return data


def config() -> Config:
    """The effective configuration; settings win over the credentials file."""
    file = _credentials()

    def pick(setting: str, key: str) -> str:
        return str(getattr(settings, setting, "") or file.get(key, "") or "").strip()

    issuer = pick("PARTA_INTEGRATION_ISSUER", "issuer").rstrip("/")
    platform_url = str(getattr(settings, "PARTA_INTEGRATION_PLATFORM_URL", "") or "").rstrip("/")
    if not platform_url and issuer.endswith("/id"):
        platform_url = issuer[: -len("/id")]
    api_url = str(getattr(settings, "PARTA_INTEGRATION_API_URL", "") or "").rstrip("/")
    if not api_url and platform_url:
        api_url = f"{platform_url}/api/v1"
    return Config(
        client_id=pick("PARTA_INTEGRATION_CLIENT_ID", "client_id"),
        client_secret=pick("PARTA_INTEGRATION_CLIENT_SECRET", "client_secret"),
        issuer=issuer,
        api_url=api_url,
        api_token=pick("PARTA_INTEGRATION_API_TOKEN", "api_token"),
        platform_url=platform_url,
        redirect_uri=str(getattr(settings, "PARTA_INTEGRATION_REDIRECT_URI", "") or ""),
        timeout=float(getattr(settings, "PARTA_INTEGRATION_TIMEOUT", 5.0)),
        id_name=str(getattr(settings, "PARTA_INTEGRATION_ID_NAME", "Сферум ID")),
        platform_name=str(getattr(settings, "PARTA_INTEGRATION_PLATFORM_NAME", "Сферум")),
        journal_name=str(getattr(settings, "PARTA_JOURNAL_NAME", "Электронная школа")),
    )


def config_required() -> Config:
    current = config()
    if not (current.client_id and current.client_secret and current.issuer and current.api_token):
        raise NotConfiguredError
    return current


def linking_methods() -> str:
    value = str(getattr(settings, "PARTA_INTEGRATION_LINKING", "both"))
    return value if value in LINKING_METHODS else "both"


def unlink_policy(role: str) -> str:
    """``self`` or ``support_only`` for one journal role (teacher, administrator, parent, student)."""
    policies: dict[str, str] = dict(getattr(settings, "PARTA_INTEGRATION_UNLINK_POLICY", {}))
    value = policies.get(role, policies.get("*", "self"))
    return value if value in UNLINK_POLICIES else "support_only"


PENDING_STALE_MIN = 60  # seconds: never below this, whatever the setting says


def pending_stale_after() -> dt.timedelta:
    """How old a ``pending`` binding must be to be taken for one left by a crash and repaired.

    A linking holds its rows ``pending`` only while it asks the platform: a few calls per school, each
    bounded by ``PARTA_INTEGRATION_TIMEOUT`` (5 s; 2 s to connect). The default, 10 minutes, is far above
    any request that is still running (``PARTA_INTEGRATION_PENDING_STALE``, seconds)."""
    seconds = float(getattr(settings, "PARTA_INTEGRATION_PENDING_STALE", 600))
    timeout = float(getattr(settings, "PARTA_INTEGRATION_TIMEOUT", 5.0))
    return dt.timedelta(seconds=max(seconds, PENDING_STALE_MIN, 20 * timeout))
