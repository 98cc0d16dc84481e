"""The fake platform of ``fakes.py`` with ``POST /orgs/{org_ref}/groups:sync`` and ``GET …/groups/{ref}`` as
the real platform answers them (docs/api.md): states and deltas applied set-wise, people not linked to the
organization listed in ``unknown`` and skipped, a delta for an unknown group an ``error``, a deleted link
taking its profile out of every chat of the organization."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest

from parta.integration.tests import fakes


@dataclass
class Chat:
    kind: str
    title: str
    subject: str = ""
    archived: bool = False
    members: set[str] = field(default_factory=set)
    admins: set[str] = field(default_factory=set)
    chat_id: int = 0


@dataclass
class SyncPlatform(fakes.FakePlatform):
    groups: dict[tuple[str, str], Chat] = field(default_factory=dict)
    apply_then_fail: int = 0  # apply the next N groups:sync requests, then answer 500 (a lost answer)
    conferences_made: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # PUT bodies
    conference_refusal: tuple[int, str] | None = None  # (status, detail) for every conference PUT

    def linked(self, org_ref: str) -> set[str]:
        return {link["profile_sub"] for link in self.links.values() if link["org_ref"] == org_ref}

    def members(self, org_ref: str, group_ref: str) -> set[str]:
        return set(self.groups[(org_ref, group_ref)].members)

    def api(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if method == "POST" and len(parts) == 3 and parts[0] == "orgs" and parts[2] == "groups:sync":
            self.requests.append((method, path, body))
            if self.fail_next:
                return self.fail_next.pop(0), {"detail": "Сбой на стороне платформы."}
            if parts[1] not in self.orgs:
                return 404, {"detail": f"Организация «{parts[1]}» не зарегистрирована этим журналом."}
            answer = self.sync(parts[1], body["groups"])
            if self.apply_then_fail:
                self.apply_then_fail -= 1
                return 500, {"detail": "Сбой на стороне платформы."}
            return 200, answer
        if method == "POST" and len(parts) == 3 and parts[0] == "orgs" and parts[2] == "conferences:sync":
            self.requests.append((method, path, body))
            if self.fail_next:
                return self.fail_next.pop(0), {"detail": "Сбой на стороне платформы."}
            if parts[1] not in self.orgs:
                return 404, {"detail": f"Организация «{parts[1]}» не зарегистрирована этим журналом."}
            return self.conferences_sync(parts[1], body)
        if (
            method in ("PUT", "DELETE")
            and len(parts) == 4
            and parts[0] == "orgs"
            and parts[2] == "conferences"
        ):
            self.requests.append((method, path, body))
            if self.fail_next:
                return self.fail_next.pop(0), {"detail": "Сбой на стороне платформы."}
            if parts[1] not in self.orgs:
                return 404, {"detail": f"Организация «{parts[1]}» не зарегистрирована этим журналом."}
            return self.conference(method, parts[1], parts[3], body)
        if method == "DELETE" and parts[0] == "links" and len(parts) == 2 and parts[1] in self.links:
            link = self.links[parts[1]]
            for (org_ref, _), chat in self.groups.items():
                if org_ref == link["org_ref"]:
                    chat.members.discard(link["profile_sub"])
                    chat.admins.discard(link["profile_sub"])
        return super().api(method, path, query, body)

    def conference(self, method: str, org_ref: str, conf_ref: str, body: Any) -> tuple[int, Any]:
        """PUT/DELETE /orgs/{org_ref}/conferences/{conf_ref} as the platform answers them (docs/api.md)."""
        key = (org_ref, conf_ref)
        if method == "DELETE":
            self.conferences_made.pop(key, None)
            return 204, None
        if self.conference_refusal is not None:
            status, detail = self.conference_refusal
            return status, {"detail": detail}
        group_ref = body.get("group_ref")
        if group_ref and (org_ref, group_ref) not in self.groups:
            return 400, {"detail": f"Группа «{group_ref}» не найдена в этой организации."}
        organizer = body.get("organizer")
        if organizer and organizer not in self.linked(org_ref):
            return 400, {"detail": "Участниками могут быть только участники организации."}
        if body.get("kind") not in ("lesson", "meeting", "other") or body["end"] <= body["start"]:
            return 422, {"detail": "Неверные данные."}
        created = key not in self.conferences_made
        self.conferences_made[key] = dict(body)
        out = {"conf_ref": conf_ref, "org_ref": org_ref, "title": body["title"], "kind": body["kind"]}
        return (201 if created else 200), out

    def conferences_sync(self, org_ref: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /orgs/{org_ref}/conferences:sync as the platform answers it (docs/api.md): one result per
        item; ``conference_refusal`` with a status about the journal (401/403/408/429) answers the whole
        call with it, any other status refuses every conference put, with its detail."""
        if self.conference_refusal is not None and self.conference_refusal[0] in (401, 403, 408, 429):
            status, detail = self.conference_refusal
            return status, {"detail": detail}
        results: list[dict[str, str]] = []
        for item in body.get("put", []):
            conf_ref = item["conf_ref"]
            before = self.conferences_made.get((org_ref, conf_ref))
            fields = {k: v for k, v in item.items() if k != "conf_ref"}
            status, answer = self.conference("PUT", org_ref, conf_ref, fields)
            if status == 422:
                return 422, answer
            if status >= 400:
                results.append({"conf_ref": conf_ref, "status": "refused", "error": answer["detail"]})
            else:
                done = "created" if before is None else ("unchanged" if before == fields else "updated")
                results.append({"conf_ref": conf_ref, "status": done, "error": ""})
        for conf_ref in body.get("delete", []):
            existed = self.conferences_made.pop((org_ref, conf_ref), None) is not None
            results.append({"conf_ref": conf_ref, "status": "deleted" if existed else "absent", "error": ""})
        return 200, {"results": results}

    def sync(self, org_ref: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        refs = [item["group_ref"] for item in items]
        assert len(refs) == len(set(refs)), "a group_ref twice in one batch"
        linked = self.linked(org_ref)
        results = []
        for item in items:
            key = (org_ref, item["group_ref"])
            chat = self.groups.get(key)
            people = {
                *item.get("members", ()),
                *item.get("add", ()),
                *item.get("admins", ()),
                *item.get("admins_add", ()),
            }
            unknown = sorted(p for p in people if p not in linked)
            result = {
                "group_ref": item["group_ref"],
                "chat_id": None,
                "added": 0,
                "removed": 0,
                "admins_changed": 0,
                "created": False,
                "renamed": False,
                "archived": None,
                "unknown": unknown,
                "error": "",
            }
            if "kind" in item:
                created = chat is None
                if chat is None:
                    chat = self.groups[key] = Chat(
                        kind=item["kind"], title=item["title"], chat_id=len(self.groups) + 1
                    )
                result["renamed"] = not created and chat.title != item["title"]
                chat.kind, chat.title, chat.subject = item["kind"], item["title"], item.get("subject", "")
                if chat.archived != item.get("archived", False):
                    chat.archived = item.get("archived", False)
                    result["archived"] = chat.archived
                admins = {a for a in item.get("admins", ()) if a in linked}
                members = {m for m in item.get("members", ()) if m in linked} | admins
                result["added"] = len(members - chat.members)
                result["removed"] = len(chat.members - members)
                result["admins_changed"] = len(((admins ^ chat.admins) & members) & chat.members)
                chat.members, chat.admins = members, admins
                result["created"] = created
            else:
                if chat is None:
                    result["error"] = (
                        f"Группа «{item['group_ref']}» не найдена: сначала передайте её состояние."
                    )
                    results.append(result)
                    continue
                if "title" in item and chat.title != item["title"]:
                    chat.title = item["title"]
                    result["renamed"] = True
                add = {a for a in (*item.get("add", ()), *item.get("admins_add", ())) if a in linked}
                remove = set(item.get("remove", ()))
                before = set(chat.members)
                chat.members = (chat.members | add) - remove
                chat.admins = (
                    (chat.admins | {a for a in item.get("admins_add", ()) if a in linked})
                    - set(item.get("admins_remove", ()))
                    - remove
                )
                result["added"] = len(chat.members - before)
                result["removed"] = len(before - chat.members)
            result["chat_id"] = chat.chat_id
            results.append(result)
        return {
            "groups": results,
            "added": sum(r["added"] for r in results),
            "removed": sum(r["removed"] for r in results),
            "admins_changed": 0,
        }


@pytest.fixture
def sync_platform(settings: Any) -> Iterator[SyncPlatform]:
    """The fake platform with groups on a real local socket, the journal configured for it, and the
    automatic triggers left on (their on_commit callbacks run only where a test captures them)."""
    fake = SyncPlatform()
    import threading
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), fakes._handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PARTA_INTEGRATION_CREDENTIALS_FILE = ""
    settings.PARTA_INTEGRATION_CLIENT_ID = fakes.CLIENT_ID
    settings.PARTA_INTEGRATION_CLIENT_SECRET = fakes.CLIENT_SECRET
    settings.PARTA_INTEGRATION_API_TOKEN = fakes.API_TOKEN
    settings.PARTA_INTEGRATION_ISSUER = fake.issuer
    settings.PARTA_INTEGRATION_TIMEOUT = 2.0
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
