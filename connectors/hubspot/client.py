"""HubSpot's wire protocol, as much as the CRM operations use: a private app's Bearer token,
objects read by id with ``properties=`` (one, or a hundred at a time with ``batch/read``),
``POST /crm/v3/objects/{type}/search`` (filter groups, sorts, ``after`` cursor paging from
``paging.next.after``), creates with associations, PATCH and DELETE. Every failure goes
through :mod:`connectors.http`; nothing here retries (HubSpot's ``X-HubSpot-RateLimit-*``
headers are what the per-system budget keeps under)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import httpx

from connectors.errors import SystemUnavailable
from connectors.http import error_of_exception, error_of_response, send_json
from workflows.clock import Clock

SYSTEM: Final = "crm"
LABEL: Final = "HubSpot"
PAGE_SIZE: Final = 100  # the search endpoint's largest page
MAX_PAGES: Final = 50

Filter = Mapping[str, Any]


class HubSpotClient:
    """Requests to HubSpot over an injected, pooled ``httpx.AsyncClient`` whose base URL is
    HubSpot's (``https://api.hubapi.com``) and which sends the ``Authorization: Bearer``."""

    def __init__(self, http: httpx.AsyncClient, clock: Clock) -> None:
        self.http = http
        self.clock = clock

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return await self._send(self.http.build_request("GET", path, params=params))

    async def read(self, kind: str, object_id: str, properties: Sequence[str]) -> dict[str, Any]:
        """One object's ``properties`` (404 when it does not exist or was archived)."""
        found = await self.get(
            f"/crm/v3/objects/{kind}/{object_id}", {"properties": ",".join(properties)}
        )
        return _object(found)

    async def search(
        self,
        kind: str,
        filters: Sequence[Filter],
        properties: Sequence[str],
        *,
        sort: tuple[str, str] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Objects matching every filter, page after page (``after``), up to ``limit``."""
        return await self.search_any(kind, [filters], properties, sort=sort, limit=limit)

    async def search_any(
        self,
        kind: str,
        groups: Sequence[Sequence[Filter]],
        properties: Sequence[str],
        *,
        sort: tuple[str, str] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Objects matching every filter of any one group (HubSpot takes five groups at
        most), page after page (``after``), up to ``limit``."""
        body: dict[str, Any] = {
            "filterGroups": [{"filters": list(g)} for g in groups],
            "properties": list(properties),
            "limit": min(PAGE_SIZE, limit or PAGE_SIZE),
        }
        if sort is not None:
            body["sorts"] = [{"propertyName": sort[0], "direction": sort[1]}]
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = await self.post(f"/crm/v3/objects/{kind}/search", body)
            results = page.get("results") if isinstance(page, dict) else None
            if not isinstance(results, list):
                raise SystemUnavailable(f"{LABEL} answered a search without results", system=SYSTEM)
            found += [_object(r) for r in results]
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after or (limit is not None and len(found) >= limit):
                break
            body["after"] = str(after)
        return found[:limit] if limit is not None else found

    async def read_many(
        self, kind: str, ids: Sequence[str], properties: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """Objects by id (``batch/read``, a hundred a request); an id HubSpot does not have is
        left out."""
        found: dict[str, dict[str, Any]] = {}
        wanted = list(dict.fromkeys(ids))
        for start in range(0, len(wanted), PAGE_SIZE):
            inputs = [{"id": i} for i in wanted[start : start + PAGE_SIZE]]
            answer = await self.post(
                f"/crm/v3/objects/{kind}/batch/read",
                {"properties": list(properties), "inputs": inputs},
            )
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list):
                raise SystemUnavailable(f"{LABEL} answered a batch read without results",
                                        system=SYSTEM)  # fmt: skip
            found |= {str(o.get("id")): o for o in (_object(r) for r in results)}
        return found

    async def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return await self._send(self.http.build_request("POST", path, json=body))

    async def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return await self._send(self.http.build_request("PATCH", path, json=body))

    async def delete(self, path: str) -> None:
        request = self.http.build_request("DELETE", path)
        try:
            response = await self.http.send(request)
        except httpx.HTTPError as exc:
            raise error_of_exception(exc, system=SYSTEM, label=LABEL) from None
        failure = error_of_response(response, system=SYSTEM, label=LABEL, now=self.clock.now())
        if failure is not None:
            raise failure

    async def _send(self, request: httpx.Request) -> Any:
        return await send_json(self.http, request, system=SYSTEM, label=LABEL, clock=self.clock)


def _object(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
        raise SystemUnavailable(f"{LABEL} answered an object without properties", system=SYSTEM)
    return raw
