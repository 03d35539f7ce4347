"""Requests to one Google API (Gmail, Calendar) over an injected, pooled ``httpx.AsyncClient``
whose base URL is the API's (or a stand-in's), with a service-account token as Bearer.

A 401 means the token expired or was revoked early: the token is dropped and the request sent
once more with a new one. Every failure goes through :mod:`connectors.http`; nothing else
here retries (the engine does)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from connectors.errors import SystemUnavailable
from connectors.google.auth import TokenSource
from connectors.http import error_of_exception, error_of_response
from workflows.clock import Clock
from workflows.errors import OperationError

Params = Mapping[str, str | int | bool | Sequence[str]]


class GoogleClient:
    """One Google API as ``system`` (its id) and ``label`` (its name in messages)."""

    def __init__(
        self, http: httpx.AsyncClient, tokens: TokenSource, *, system: str, label: str,
        clock: Clock,
    ) -> None:  # fmt: skip
        self.http, self.tokens, self.clock = http, tokens, clock
        self.system, self.label = system, label

    async def get(self, path: str, params: Params | None = None) -> Any:
        return await self.send("GET", path, params=params)

    async def post(self, path: str, body: Mapping[str, Any], params: Params | None = None) -> Any:
        return await self.send("POST", path, params=params, json_body=body)

    async def delete(self, path: str, *, tolerate: frozenset[int] = frozenset()) -> int:
        """Delete, and the status Google answered (one of ``tolerate`` is not an error)."""
        status, _ = await self.exchange("DELETE", path, tolerate=tolerate)
        return status

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Mapping[str, Any] | None = None,
        tolerate: frozenset[int] = frozenset(),
    ) -> Any:
        """The JSON answer (``None`` for an empty one, e.g. a delete's 204, or for a status
        in ``tolerate``)."""
        _, body = await self.exchange(
            method, path, params=params, json_body=json_body, tolerate=tolerate
        )
        return body

    async def exchange(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Mapping[str, Any] | None = None,
        tolerate: frozenset[int] = frozenset(),
    ) -> tuple[int, Any]:
        """The status and JSON answer of one request (sent again once after a 401)."""
        query = {k: _param(v) for k, v in (params or {}).items()}
        for attempt in (1, 2):
            try:
                token = await self.tokens.token()
            except OperationError as exc:
                exc.system = self.system  # a gap in this API's answer, whoever refused
                raise
            request = self.http.build_request(
                method, path, params=query, json=json_body,
                headers={"Authorization": f"Bearer {token}"},
            )  # fmt: skip
            try:
                response = await self.http.send(request)
            except httpx.HTTPError as exc:
                raise error_of_exception(exc, system=self.system, label=self.label) from None
            if response.status_code == 401 and attempt == 1:
                self.tokens.forget(token)
                continue
            if response.status_code in tolerate:
                return response.status_code, None
            failure = error_of_response(
                response, system=self.system, label=self.label, now=self.clock.now()
            )
            if failure is not None:
                raise failure
            return response.status_code, self._json(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _json(self, response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise SystemUnavailable(
                f"{self.label} answered with something that is not JSON ({response.status_code})",
                system=self.system,
            ) from None


def _param(value: str | int | bool | Sequence[str]) -> str | list[str]:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    return list(value)


__all__ = ["GoogleClient"]
