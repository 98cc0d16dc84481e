"""A thin typed client of the platform's API v1 (docs/api.md on the platform side), over httpx.

Exactly the calls the integration makes. Timeouts are short: a platform that is down or slow gives
:class:`PlatformUnavailableError` within seconds, and the page says «Сервис Сферум временно недоступен».
A refusal with a Russian ``detail`` (409 and other 4xx) is :class:`PlatformRefusedError`.
"""

from __future__ import annotations

import datetime as dt
import functools
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from parta.integration.conf import Config


class PlatformError(Exception):
    pass


class PlatformUnavailableError(PlatformError):
    """No answer, a timeout, a 5xx or an answer that is not the API's JSON."""


class PlatformRefusedError(PlatformError):
    """The platform answered and said no (4xx) with a Russian ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.org_ref = ""  # the school a linking call was about, when the caller knows it


@dataclass(frozen=True)
class Link:
    id: str
    profile_sub: str
    org_ref: str
    journal_account_ref: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProfileChat:
    name: str
    kind_label: str
    member_count: int
    admin_name: str
    subject: str
    url: str


@dataclass(frozen=True)
class LinkDisplay:
    """How the platform shows the person in the organization (the journal's names)."""

    first_name: str
    last_name: str
    middle_name: str = ""
    position: str = ""  # «учитель», «родитель», … as the journal says it

    def as_json(self) -> dict[str, str]:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "middle_name": self.middle_name,
            "position": self.position,
        }


def _link(data: dict[str, Any]) -> Link:
    return Link(
        id=str(data["id"]),
        profile_sub=str(data.get("profile_sub", "")),
        org_ref=str(data.get("org_ref", "")),
        journal_account_ref=str(data.get("journal_account_ref", "")),
        roles=tuple(str(role) for role in data.get("roles", ())),
    )


@dataclass(frozen=True)
class ConferenceResult:
    conf_ref: str
    status: str  # created, updated, unchanged, deleted, absent, refused
    error: str = ""  # why it was refused, in Russian


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's roots, or ``SSL_CERT_FILE``), made once per process: making
    it loads every root certificate, which cost more than the calls of a school's sync run."""
    return httpx.create_ssl_context()


class PlatformClient:
    """``with PlatformClient(config) as api: api.link_create(...)``."""

    def __init__(self, config: Config, *, transport: httpx.BaseTransport | None = None) -> None:
        timeout = httpx.Timeout(config.timeout, connect=min(config.timeout, 2.0))
        self._http = httpx.Client(
            base_url=config.api_url + "/",
            headers={"Authorization": f"Bearer {config.api_token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            verify=_tls(),
        )

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise PlatformUnavailableError(str(error)) from error
        if response.status_code >= 500:
            raise PlatformUnavailableError(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code == 204 or not response.content:
            if response.status_code >= 400:
                raise PlatformRefusedError(response.status_code, "")
            return None
        try:
            data = response.json()
        except ValueError as error:
            raise PlatformUnavailableError(f"{method} {path}: not JSON") from error
        if response.status_code >= 400:
            detail = data.get("detail", "") if isinstance(data, dict) else ""
            raise PlatformRefusedError(response.status_code, str(detail))
        return data

    # --- the calls -------------------------------------------------------------------------------------

    def org_put(self, *, org_ref: str, name: str) -> None:
        """``PUT /orgs/{org_ref}``: register or rename the school."""
        self._call("PUT", f"orgs/{quote(org_ref, safe='')}", json={"name": name})

    def link_create(
        self,
        *,
        profile_sub: str,
        org_ref: str,
        journal_account_ref: str,
        roles: list[str],
        display: LinkDisplay,
    ) -> Link:
        """``POST /links``: idempotent; 409 when the profile is bound to another account of this journal."""
        data = self._call(
            "POST",
            "links",
            json={
                "profile_sub": profile_sub,
                "org_ref": org_ref,
                "journal_account_ref": journal_account_ref,
                "roles": roles,
                "display": display.as_json(),
            },
        )
        return _link(data)

    def link_delete(self, *, link_id: str) -> bool:
        """``DELETE /links/{id}``; ``False`` when the platform no longer has it (already ended)."""
        try:
            self._call("DELETE", f"links/{quote(link_id, safe='')}")
        except PlatformRefusedError as refused:
            if refused.status == 404:
                return False
            raise
        return True

    def links(self, *, journal_account_ref: str) -> list[Link]:
        """``GET /links?journal_account_ref=…``."""
        data = self._call("GET", "links", params={"journal_account_ref": journal_account_ref})
        items = data.get("items", data) if isinstance(data, dict) else data
        return [_link(item) for item in items or ()]

    def profile_chats(self, *, sub: str, org_ref: str) -> list[ProfileChat]:
        """``GET /profiles/{sub}/chats?org_ref=…``: the chats of the «Сферум» section."""
        try:
            data = self._call("GET", f"profiles/{quote(sub, safe='')}/chats", params={"org_ref": org_ref})
        except PlatformRefusedError as refused:
            if refused.status == 404:  # no link in this school (any more): no chats there
                return []
            raise
        items = data.get("items", data) if isinstance(data, dict) else data
        return [
            ProfileChat(
                name=str(item.get("name", "")),
                kind_label=str(item.get("kind_label", "")),
                member_count=int(item.get("member_count", 0)),
                admin_name=str(item.get("admin_name") or ""),
                subject=str(item.get("subject") or ""),
                url=str(item.get("url", "")),
            )
            for item in items or ()
        ]

    def link_request_create(
        self,
        *,
        phone: str,
        org_ref: str,
        journal_account_ref: str,
        name: str,
        roles: list[str],
    ) -> LinkRequest:
        """``POST /link-requests``: the bot asks the owner of ``phone`` in their «Сферум» chat (or the answer
        is ``no_account`` at once). Asking again while it is pending returns the same request."""
        data = self._call(
            "POST",
            "link-requests",
            json={
                "phone": phone,
                "org_ref": org_ref,
                "journal_account_ref": journal_account_ref,
                "name": name,
                "roles": roles,
            },
        )
        return _link_request(data)

    def link_request_get(self, *, request_id: str) -> LinkRequest:
        """``GET /link-requests/{id}``: its state now (``PlatformRefusedError`` 404 when unknown)."""
        return _link_request(self._call("GET", f"link-requests/{quote(request_id, safe='')}"))

    def profile_conferences(self, *, sub: str) -> list[Conference]:
        """``GET /profiles/{sub}/conferences``: open and coming first, then those ended within a week."""
        try:
            data = self._call("GET", f"profiles/{quote(sub, safe='')}/conferences")
        except PlatformRefusedError as refused:
            if refused.status == 404:  # no link with this journal (any more): no conferences
                return []
            raise
        conferences = []
        for item in data or ():
            start, end = _when(item.get("start")), _when(item.get("end"))
            if start is None or end is None:
                raise PlatformUnavailableError("a conference without its time")
            conferences.append(
                Conference(
                    conf_ref=str(item.get("conf_ref", "")),
                    org_ref=str(item.get("org_ref", "")),
                    title=str(item.get("title", "")),
                    kind=str(item.get("kind", "")),
                    kind_label=str(item.get("kind_label", "")),
                    start=start,
                    end=end,
                    join_open=bool(item.get("join_open")),
                    join_url=str(item.get("join_url") or "") if item.get("join_open") else "",
                )
            )
        return conferences

    def conferences_sync(
        self, *, org_ref: str, put: list[dict[str, Any]], delete: list[str]
    ) -> list[ConferenceResult]:
        """``POST /orgs/{org_ref}/conferences:sync``: conferences created or moved (``put``: bodies with their
        ``conf_ref``) and removed (``delete``) at once, idempotently. One result per item, puts first."""
        data = self._call(
            "POST", f"orgs/{quote(org_ref, safe='')}/conferences:sync", json={"put": put, "delete": delete}
        )
        return [
            ConferenceResult(
                conf_ref=str(item["conf_ref"]), status=str(item["status"]), error=str(item.get("error") or "")
            )
            for item in (data or {}).get("results", ())
        ]

    def groups_sync(self, *, org_ref: str, groups: list[dict[str, Any]]) -> list[GroupResult]:
        """``POST /orgs/{org_ref}/groups:sync``: a batch of group states and deltas, applied set-wise and
        idempotently (the same batch again answers zeros). One result per group, in order."""
        data = self._call("POST", f"orgs/{quote(org_ref, safe='')}/groups:sync", json={"groups": groups})
        return [
            GroupResult(
                group_ref=str(item["group_ref"]),
                chat_id=item.get("chat_id"),
                added=int(item.get("added", 0)),
                removed=int(item.get("removed", 0)),
                admins_changed=int(item.get("admins_changed", 0)),
                created=bool(item.get("created", False)),
                renamed=bool(item.get("renamed", False)),
                unknown=tuple(str(sub) for sub in item.get("unknown", ())),
                error=str(item.get("error") or ""),
            )
            for item in (data or {}).get("groups", ())
        ]


# --- linking confirmed in the messenger (manual 003) and conferences -------------------------------------


@dataclass(frozen=True)
class LinkRequest:
    """``LinkRequestOut``: ``state`` is pending, confirmed, declined, expired or no_account."""

    id: str
    state: str
    phone: str
    org_ref: str
    journal_account_ref: str
    profile_sub: str  # "" until confirmed
    link_id: str  # "" until confirmed
    expires_at: dt.datetime | None


@dataclass(frozen=True)
class Conference:
    """``ConferenceOut``: ``join_url`` is given only while joining is open."""

    conf_ref: str
    org_ref: str
    title: str
    kind: str
    kind_label: str
    start: dt.datetime
    end: dt.datetime
    join_open: bool
    join_url: str


def _when(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise PlatformUnavailableError(f"not a date: {value!r}") from error


def _link_request(data: dict[str, Any]) -> LinkRequest:
    try:
        return LinkRequest(
            id=str(data["id"]),
            state=str(data["state"]),
            phone=str(data.get("phone", "")),
            org_ref=str(data.get("org_ref", "")),
            journal_account_ref=str(data.get("journal_account_ref", "")),
            profile_sub=str(data.get("profile_sub") or ""),
            link_id=str(data.get("link_id") or ""),
            expires_at=_when(data.get("expires_at")),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise PlatformUnavailableError(f"not a link request: {error}") from error


# --- groups:sync (the roster → chats sync, docs/sync.md) ---------------------------------------------------


@dataclass(frozen=True)
class GroupResult:
    """One group's result of ``POST /orgs/{org_ref}/groups:sync``."""

    group_ref: str
    chat_id: int | None
    added: int
    removed: int
    admins_changed: int
    created: bool
    renamed: bool
    unknown: tuple[str, ...]
    error: str
