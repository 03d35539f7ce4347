"""A local server that speaks Zendesk Support's API, as much as the support connector uses, for
tests and drills: nothing reaches the internet.

It holds organizations, users and tickets (seeded from the demo world's support desk with the
same organization and ticket ids, so the identity layer's links hold:
:meth:`ZendeskStandIn.seed_from`), answers as Zendesk does (cursor pages with ``meta.has_more``
and an absolute ``links.next``; priorities urgent/high/normal/low; times in ISO 8601 UTC;
errors as ``{"error": ...}``), checks API-token basic auth (401 ``Couldn't authenticate
you``), and misbehaves on request (:meth:`~connectors.standin.StandIn.script`).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import select

from connectors.demo.schema import support_orgs, support_tickets
from connectors.demo.store import DemoWorld
from connectors.standin import Answer, Misbehaviour, Seen, StandIn

DEFAULT_EMAIL: Final = "crosswire@northwind.example"
DEFAULT_TOKEN: Final = "zd_standin_6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
PRIORITY_OF: Final = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}


def throttled(retry_after: str = "1") -> Misbehaviour:
    body = json.dumps({"error": "APIRateLimitExceeded", "description": "Rate limit exceeded"})
    return Misbehaviour(429, body.encode(), {"Retry-After": retry_after})


def garbage() -> Misbehaviour:
    return Misbehaviour(200, b'{"tickets": [{"id": 1, "subject": ')


class ZendeskStandIn(StandIn):
    """Zendesk's organizations, users and tickets on ``127.0.0.1``."""

    def __init__(
        self, *, email: str = DEFAULT_EMAIL, api_token: str = DEFAULT_TOKEN, latency_s: float = 0
    ) -> None:
        super().__init__(latency_s=latency_s)
        self.email, self.api_token = email, api_token
        self.organizations: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.tickets: list[dict[str, Any]] = []

    async def seed_from(self, world: DemoWorld) -> ZendeskStandIn:
        """The demo world's support organizations and tickets, with their ids."""
        async with world.read() as read:
            orgs = (await read.conn.execute(select(support_orgs))).mappings().all()
            tickets = (await read.conn.execute(select(support_tickets))).mappings().all()
        for o in orgs:
            self.organizations[str(o["id"])] = {
                "id": o["id"], "name": o["name"],
                "organization_fields": {"phone": o.get("phone")},
            }  # fmt: skip
        for t in tickets:
            self.add_ticket(
                str(t["id"]), str(t["org_id"]), str(t["subject"]), str(t["priority"]),
                str(t["status"]), t["opened_at"], str(t["requester_email"]),
            )  # fmt: skip
        return self

    def add_ticket(
        self, ticket_id: str, org: str, subject: str, priority: str, status: str,
        opened_at: datetime, requester: str,
    ) -> None:  # fmt: skip
        self.tickets.append({
            "id": ticket_id, "url": f"{self.url}/api/v2/tickets/{ticket_id}.json",
            "subject": subject, "raw_subject": subject, "priority": PRIORITY_OF[priority],
            "status": status, "organization_id": org, "requester_id": self._user(requester),
            "created_at": opened_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        })  # fmt: skip

    def _user(self, email: str) -> int:
        for user in self.users.values():
            if user["email"] == email:
                return int(user["id"])
        user_id = 10_000 + len(self.users) + 1
        self.users[str(user_id)] = {"id": user_id, "email": email, "role": "end-user"}
        return user_id

    def authorised(self, seen: Seen) -> Answer | None:
        raw = f"{self.email}/token:{self.api_token}".encode()
        if seen.headers.get("authorization") == f"Basic {base64.b64encode(raw).decode()}":
            return None
        return 401, {"error": "Couldn't authenticate you"}

    def headers_for(self, seen: Seen) -> dict[str, str]:
        return {"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": str(max(0, 700 - len(self.seen)))}

    def route(self, seen: Seen) -> Answer:
        parts = [p for p in seen.path.split("/") if p]
        match seen.method, parts:
            case "GET", ["api", "v2", "users", "me.json"]:
                return 200, {"user": {"id": 1, "email": self.email, "role": "agent"}}
            case "GET", ["api", "v2", "users", "show_many.json"]:
                ids = [i for i in seen.query.get("ids", "").split(",") if i]
                return 200, {"users": [self.users[i] for i in ids if i in self.users]}
            case "GET", ["api", "v2", "tickets.json"]:
                return self._page(seen, self.tickets)
            case "GET", ["api", "v2", "organizations", org_json] if org_json.endswith(".json"):
                found = self.organizations.get(org_json.removesuffix(".json"))
                if found is None:
                    return 404, {"error": "RecordNotFound", "description": "Not found"}
                return 200, {"organization": found}
            case "GET", ["api", "v2", "organizations", org, "tickets.json"]:
                if org not in self.organizations:
                    return 404, {"error": "RecordNotFound", "description": "Not found"}
                return self._page(seen, [t for t in self.tickets if t["organization_id"] == org])
        return 404, {"error": "InvalidEndpoint", "description": "Not found"}

    def _page(self, seen: Seen, items: list[dict[str, Any]]) -> Answer:
        """A cursor page: ``page[size]`` (at most 100) records after ``page[after]``."""
        size = max(1, min(100, int(seen.query.get("page[size]", "100"))))
        start = int(seen.query.get("page[after]", "0") or 0)
        chunk = items[start : start + size]
        more = start + size < len(items)
        after = str(start + size) if more else None
        nxt = (
            f"{self.url}{seen.path}?page%5Bsize%5D={size}&page%5Bafter%5D={after}" if more else None
        )
        return 200, {
            "tickets": chunk,
            "meta": {"has_more": more, "after_cursor": after, "before_cursor": str(start)},
            "links": {"next": nxt, "prev": None},
        }


__all__ = ["DEFAULT_EMAIL", "DEFAULT_TOKEN", "ZendeskStandIn", "garbage", "throttled"]
