"""HubSpot's wire protocol, as much as the CRM operations use: a private app's Bearer token,
objects read by id with ``properties=`` (one, or a hundred at a time with ``batch/read``),
``POST /crm/v3/objects/{type}/search`` (filter groups, sorts, ``after`` cursor paging from
``paging.next.after``), v4 associations a hundred objects at a time (``batch/read``),
creates with associations, PATCH and DELETE. Every failure goes through
:mod:`connectors.http`; nothing here retries (HubSpot's ``X-HubSpot-RateLimit-*`` headers are
what the per-system budget keeps under, request by request). An operation that sends requests
together takes a client of its own with a few slots (:meth:`HubSpotClient.within`): no more
than that many of its requests are in flight at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, Final

import httpx

from connectors.errors import SystemUnavailable
from connectors.http import error_of_exception, error_of_response, send_json
from workflows.clock import Clock

SYSTEM: Final = "crm"
LABEL: Final = "HubSpot"
PAGE_SIZE: Final = 100  # a search page, unless asked for more
LARGEST_PAGE: Final = 200  # the search endpoint's largest page
BATCH_SIZE: Final = 100  # inputs in one batch read (objects or associations)
MAX_PAGES: Final = 50

Filter = Mapping[str, Any]


class HubSpotClient:
    """Requests to HubSpot over an injected, pooled ``httpx.AsyncClient`` whose base URL is
    HubSpot's (``https://api.hubapi.com``) and which sends the ``Authorization: Bearer``."""

    def __init__(
        self, http: httpx.AsyncClient, clock: Clock, slots: asyncio.Semaphore | None = None
    ) -> None:
        self.http = http
        self.clock = clock
        self.slots = slots

    def within(self, in_flight: int) -> HubSpotClient:
        """The same client, but with at most ``in_flight`` of its requests under way at once
        (the others wait their turn, first come first served)."""
        return HubSpotClient(self.http, self.clock, asyncio.Semaphore(in_flight))

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
        page: int = PAGE_SIZE,
    ) -> list[dict[str, Any]]:
        """Objects matching every filter, page after page (``after``, ``page`` a request),
        up to ``limit``."""
        return await self.search_any(kind, [filters], properties, sort=sort, limit=limit,
                                     page=page)  # fmt: skip

    async def search_any(
        self,
        kind: str,
        groups: Sequence[Sequence[Filter]],
        properties: Sequence[str],
        *,
        sort: tuple[str, str] | None = None,
        limit: int | None = None,
        page: int = PAGE_SIZE,
    ) -> list[dict[str, Any]]:
        """Objects matching every filter of any one group (HubSpot takes five groups at
        most), page after page (``after``, ``page`` a request, 200 at most), up to
        ``limit``."""
        page = min(page, LARGEST_PAGE)
        body: dict[str, Any] = {
            "filterGroups": [{"filters": list(g)} for g in groups],
            "properties": list(properties),
            "limit": min(page, limit or page),
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
        for start in range(0, len(wanted), BATCH_SIZE):
            inputs = [{"id": i} for i in wanted[start : start + BATCH_SIZE]]
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

    async def associated(self, kind: str, to: str, ids: Sequence[str]) -> dict[str, list[str]]:
        """The ids of the ``to`` objects each of ``ids`` is associated with, in HubSpot's
        order (v4 ``batch/read``, a hundred a request); an id with none is left out (HubSpot
        answers it among the ``errors`` of a 207)."""
        found: dict[str, list[str]] = {}
        wanted = list(dict.fromkeys(ids))
        for start in range(0, len(wanted), BATCH_SIZE):
            inputs = [{"id": i} for i in wanted[start : start + BATCH_SIZE]]
            answer = await self.post(f"/crm/v4/associations/{kind}/{to}/batch/read",
                                     {"inputs": inputs})  # fmt: skip
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list):
                raise SystemUnavailable(f"{LABEL} answered an association read without results",
                                        system=SYSTEM)  # fmt: skip
            for result in results:
                origin = str((result.get("from") or {}).get("id", ""))
                found.setdefault(origin, []).extend(
                    str(t.get("toObjectId", "")) for t in result.get("to") or []
                )
        return found

    async def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return await self._send(self.http.build_request("POST", path, json=body))

    async def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return await self._send(self.http.build_request("PATCH", path, json=body))

    async def delete(self, path: str) -> None:
        request = self.http.build_request("DELETE", path)
        try:
            async with self._slot():
                response = await self.http.send(request)
        except httpx.HTTPError as exc:
            raise error_of_exception(exc, system=SYSTEM, label=LABEL) from None
        failure = error_of_response(response, system=SYSTEM, label=LABEL, now=self.clock.now())
        if failure is not None:
            raise failure

    async def _send(self, request: httpx.Request) -> Any:
        async with self._slot():
            return await send_json(self.http, request, system=SYSTEM, label=LABEL,
                                   clock=self.clock)  # fmt: skip

    def _slot(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self.slots if self.slots is not None else contextlib.nullcontext()


def _object(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("properties"), dict):
        raise SystemUnavailable(f"{LABEL} answered an object without properties", system=SYSTEM)
    return raw
