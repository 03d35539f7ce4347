"""Zendesk's wire protocol, as much as the support operations use: API-token basic auth
(``{email}/token:{token}``), JSON answers, and cursor pagination (``page[size]``, following
``links.next`` while ``meta.has_more``). Every failure goes through :mod:`connectors.http`;
nothing here retries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import httpx

from connectors.errors import SystemUnavailable
from connectors.http import send_json
from workflows.clock import Clock

SYSTEM: Final = "support"
LABEL: Final = "Zendesk"
PAGE_SIZE: Final = 100  # Zendesk's largest cursor page
MAX_PAGES: Final = 50  # 5,000 records: a runaway list is a bug, not a customer

Params = Mapping[str, str | int]


class ZendeskClient:
    """Requests to Zendesk over an injected, pooled ``httpx.AsyncClient`` whose base URL is the
    account's (``https://{subdomain}.zendesk.com``) and which sends the basic auth header."""

    def __init__(self, http: httpx.AsyncClient, clock: Clock) -> None:
        self.http = http
        self.clock = clock

    async def get(self, path: str, params: Params | None = None) -> Any:
        request = self.http.build_request("GET", path, params=params)
        return await send_json(self.http, request, system=SYSTEM, label=LABEL, clock=self.clock)

    async def list_all(self, path: str, key: str, params: Params | None = None) -> list[Any]:
        """Every record of a cursor-paginated endpoint: ``page[size]`` on the first request,
        then ``links.next`` (which carries the cursor) while ``meta.has_more``."""
        found: list[dict[str, Any]] = []
        page = await self.get(path, {**(params or {}), "page[size]": PAGE_SIZE})
        for _ in range(MAX_PAGES):
            records = page.get(key) if isinstance(page, dict) else None
            if not isinstance(records, list):
                raise SystemUnavailable(f"{LABEL} answered a list without its {key}", system=SYSTEM)
            found += [r for r in records if isinstance(r, dict)]
            meta, links = page.get("meta") or {}, page.get("links") or {}
            following = links.get("next") if isinstance(links, dict) else None
            if not (isinstance(meta, dict) and meta.get("has_more")) or not following:
                return found
            page = await self.get(_same_host(self.http, str(following)))
        return found


def _same_host(http: httpx.AsyncClient, link: str) -> str:
    """``links.next`` is absolute; send it to our own base URL (a proxy's, a stand-in's) so a
    rewritten host never receives our credentials."""
    url = httpx.URL(link)
    return url.raw_path.decode() if url.host != http.base_url.host else link
