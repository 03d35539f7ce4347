"""Stripe's wire protocol, as much as the billing operations use: Bearer auth, form-encoded
writes with an ``Idempotency-Key``, list pagination (``limit``, ``starting_after``,
``has_more``), and amounts in each currency's smallest unit as Stripe counts it
(:func:`stripe_exponent`). Every failure goes through :mod:`connectors.http`; nothing here
retries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import httpx

from connectors import normalise
from connectors.errors import SystemUnavailable
from connectors.http import send_json
from workflows.clock import Clock

SYSTEM: Final = "billing"
LABEL: Final = "Stripe"
PAGE_SIZE: Final = 100  # Stripe's largest page
MAX_PAGES: Final = 50  # 5,000 records: a runaway list is a bug, not a customer

Params = Mapping[str, str | int]
# Where Stripe's minor unit is not ISO 4217's: the króna is two-decimal in Stripe's API (100
# is 1 ISK), the ariary zero-decimal.
STRIPE_EXPONENTS: Final = {"ISK": 2, "MGA": 0}


def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's integer amounts in ``currency`` carry: USD 2, JPY 0, BHD 3."""
    code = normalise.currency_code(currency)
    return STRIPE_EXPONENTS.get(code, normalise.minor_exponent(code))


def stripe_money(units: object, currency: object) -> normalise.Money:
    """A Stripe amount (``amount_due: 1999``, ``currency: "usd"``) as Money (19.99 USD)."""
    code = normalise.currency_code(currency)
    return normalise.Money.of_minor(units, code, exponent=stripe_exponent(code))


class StripeClient:
    """Requests to Stripe over an injected, pooled ``httpx.AsyncClient`` whose base URL is
    Stripe's (or a sandbox's) and which sends the ``Authorization: Bearer`` header."""

    def __init__(self, http: httpx.AsyncClient, clock: Clock) -> None:
        self.http = http
        self.clock = clock

    async def get(self, path: str, params: Params | None = None) -> Any:
        return await self._send(self.http.build_request("GET", path, params=params))

    async def list_all(self, path: str, params: Params | None = None) -> list[dict[str, Any]]:
        """Every object of a list endpoint, page after page (``starting_after`` the last id
        while ``has_more``)."""
        found: list[dict[str, Any]] = []
        query: dict[str, str | int] = {**(params or {}), "limit": PAGE_SIZE}
        for _ in range(MAX_PAGES):
            page = await self.get(path, query)
            data = _objects(page)
            found += data
            if not page.get("has_more") or not data:
                return found
            query["starting_after"] = str(data[-1]["id"])
        return found

    async def post(self, path: str, form: Params, *, idempotency_key: str) -> Any:
        """A write, sent once however often it is retried (Stripe keeps the key 24 hours)."""
        headers = {"Idempotency-Key": idempotency_key}
        data = {k: str(v) for k, v in form.items()}
        return await self._send(self.http.build_request("POST", path, data=data, headers=headers))

    async def delete(self, path: str) -> Any:
        return await self._send(self.http.build_request("DELETE", path))

    async def _send(self, request: httpx.Request) -> Any:
        return await send_json(self.http, request, system=SYSTEM, label=LABEL, clock=self.clock)


def _objects(page: Any) -> list[dict[str, Any]]:
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise SystemUnavailable(f"{LABEL} answered a list without its data", system=SYSTEM)
    return [item for item in page["data"] if isinstance(item, dict)]
