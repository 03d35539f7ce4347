"""A local server that speaks Stripe's API, as much as the billing connector uses, for tests
and drills: nothing reaches the internet.

It holds customers and invoices (seeded from the demo world's billing with the same ids, so
the identity layer's links hold: :meth:`StripeStandIn.seed_from`), answers as Stripe does
(list objects with ``has_more`` and ``starting_after`` paging, newest first; amounts in
cents, times in Unix seconds; errors as ``{"error": {...}}``), checks the Bearer key (401
with Stripe's own message, which echoes part of the key), replays a write sent again with the
same ``Idempotency-Key``, and misbehaves on request: :meth:`StripeStandIn.script` queues
answers for the next requests (a 429 with ``Retry-After``, a 503, a body that is not JSON, a
hang that only the client's timeout ends).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Self
from urllib.parse import parse_qsl

from sqlalchemy import select

from connectors import normalise
from connectors.demo.schema import billing_customers, billing_invoices
from connectors.demo.store import DemoWorld
from connectors.standin import Misbehaviour, Reply, Request, StandInServer, unavailable
from connectors.stripe.client import stripe_exponent

DEFAULT_KEY = "sk_test_standin_4eC39HqLyjWDarjtT1zdp7dc"


def throttled(retry_after: str = "1") -> Misbehaviour:
    body = _error_body("rate_limit_error", "Too many requests hit the API too quickly.")
    return Misbehaviour(429, body, {"Retry-After": retry_after})


def garbage() -> Misbehaviour:
    return Misbehaviour(200, b'{"object": "list", "data": [')


def hang(seconds: float) -> Misbehaviour:
    return Misbehaviour(200, b'{"object": "list", "data": [], "has_more": false}', delay_s=seconds)


@dataclass(frozen=True)
class Seen:
    """A request as the stand-in received it (``form``: its form-encoded body)."""

    method: str
    path: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    headers: Mapping[str, str]
    at: float = 0.0  # time.monotonic() on arrival


class StripeStandIn(StandInServer[Seen]):
    """Stripe's billing endpoints on ``127.0.0.1`` (a free port); ``url`` is its base URL."""

    content_type = "application/json"

    def __init__(self, *, api_key: str = DEFAULT_KEY, latency_s: float = 0.0) -> None:
        super().__init__(latency_s=latency_s)
        self.api_key = api_key
        self.customers: dict[str, dict[str, Any]] = {}
        self.invoices: list[dict[str, Any]] = []
        self.coupons: dict[str, dict[str, Any]] = {}
        self._replies: dict[str, tuple[int, bytes]] = {}

    async def seed_from(self, world: DemoWorld) -> Self:
        """The demo world's billing customers and invoices, with their ids."""
        async with world.read() as read:
            customers = (await read.conn.execute(select(billing_customers))).mappings().all()
            invoices = (await read.conn.execute(select(billing_invoices))).mappings().all()
        for c in customers:
            self.add_customer(str(c["id"]), str(c["name"]))
        for i in invoices:
            self.add_invoice(
                str(i["customer_id"]), str(i["number"]), float(i["amount"]),
                i["issued_on"], i["due_on"], str(i["status"]),
            )  # fmt: skip
        return self

    def add_customer(self, customer_id: str, name: str) -> None:
        self.customers[customer_id] = {
            "id": customer_id, "object": "customer", "name": name, "discount": None,
        }  # fmt: skip

    def add_invoice(
        self, customer: str, number: str, amount: float, issued: date, due: date, status: str,
        *, currency: str = "usd",
    ) -> None:  # fmt: skip
        """An invoice of ``amount`` in ``currency``, kept as Stripe does: in the currency's
        smallest unit (cents; yen; fils, in tens) and its code in lower case."""
        money = normalise.money(amount, currency)
        minor = int(money.amount.scaleb(stripe_exponent(money.currency)))
        self.invoices.append({
            "id": f"in_{number.replace('-', '')}", "object": "invoice", "number": number,
            "customer": customer, "amount_due": minor, "currency": currency.lower(),
            "created": _unix(issued), "due_date": _unix(due), "status": status,
        })  # fmt: skip

    def received(self, request: Request) -> Seen:
        query, form = dict(parse_qsl(request.query)), dict(parse_qsl(request.raw.decode()))
        return Seen(request.method, request.path, query, form, request.headers, request.at)

    def envelope(self, status: int) -> dict[str, str]:
        return super().envelope(status) | {"Request-Id": f"req_{len(self.seen):06d}"}

    def respond(self, seen: Seen) -> Reply:
        if seen.headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {}, _error_body("invalid_request_error", self._bad_key(seen))
        key = seen.headers.get("idempotency-key")
        if seen.method == "POST" and key:
            if key in self._replies:
                status, body = self._replies[key]
                return status, {"Idempotent-Replayed": "true"}, body
            status, body = self._route(seen)
            self._replies[key] = (status, body)
            return status, {}, body
        status, body = self._route(seen)
        return status, {}, body

    def _bad_key(self, seen: Seen) -> str:
        given = seen.headers.get("authorization", "").removeprefix("Bearer ")
        if not given:
            return "You did not provide an API key."
        return f"Invalid API Key provided: {given[:8]}********{given[-4:]}"

    def _route(self, seen: Seen) -> tuple[int, bytes]:
        parts = [p for p in seen.path.split("/") if p]
        match seen.method, parts:
            case "GET", ["v1", "customers"]:
                return 200, self._list("/v1/customers", list(self.customers.values()), seen)
            case "GET", ["v1", "customers", cid]:
                return self._customer(cid)
            case "POST", ["v1", "customers", cid]:
                return self._attach(cid, seen.form.get("coupon", ""))
            case "DELETE", ["v1", "customers", cid, "discount"]:
                return self._detach(cid)
            case "GET", ["v1", "invoices"]:
                return 200, self._list("/v1/invoices", self._invoices(seen.query), seen)
            case "POST", ["v1", "coupons"]:
                return 200, self._coupon(seen.form)
        return _missing(f"Unrecognized request URL ({seen.method}: {seen.path}).")

    def _list(self, url: str, items: list[dict[str, Any]], seen: Seen) -> bytes:
        limit = max(1, min(100, int(seen.query.get("limit", "10"))))
        after = seen.query.get("starting_after")
        if after is not None:
            ids = [item["id"] for item in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        page = items[:limit]
        body = {"object": "list", "url": url, "has_more": len(items) > limit, "data": page}
        return json.dumps(body).encode()

    def _invoices(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        found = [
            i for i in self.invoices
            if query.get("customer") in (None, i["customer"])
            and query.get("status") in (None, i["status"])
            and i["created"] >= int(query.get("created[gte]", "0"))
        ]  # fmt: skip
        return sorted(found, key=lambda i: (i["created"], i["id"]), reverse=True)

    def _customer(self, cid: str) -> tuple[int, bytes]:
        if cid not in self.customers:
            return _missing(f"No such customer: '{cid}'")
        return 200, json.dumps(self.customers[cid]).encode()

    def _coupon(self, form: Mapping[str, str]) -> bytes:
        coupon_id = f"co_{len(self.coupons) + 1:04d}"
        metadata = {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}
        self.coupons[coupon_id] = {
            "id": coupon_id, "object": "coupon", "percent_off": float(form["percent_off"]),
            "duration": form.get("duration", "once"), "name": form.get("name"),
            "metadata": metadata,
        }  # fmt: skip
        return json.dumps(self.coupons[coupon_id]).encode()

    def _attach(self, cid: str, coupon: str) -> tuple[int, bytes]:
        if cid not in self.customers:
            return _missing(f"No such customer: '{cid}'")
        if coupon not in self.coupons:
            return _missing(f"No such coupon: '{coupon}'")
        self.customers[cid]["discount"] = {"object": "discount", "coupon": self.coupons[coupon]}
        return 200, json.dumps(self.customers[cid]).encode()

    def _detach(self, cid: str) -> tuple[int, bytes]:
        customer = self.customers.get(cid)
        if customer is None or customer["discount"] is None:
            return _missing(f"No active discount for customer: '{cid}'")
        customer["discount"] = None
        return 200, json.dumps({"object": "discount", "deleted": True}).encode()


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _error_body(kind: str, message: str) -> bytes:
    return json.dumps({"error": {"type": kind, "message": message}}).encode()


def _missing(message: str) -> tuple[int, bytes]:
    body = {"error": {"type": "invalid_request_error", "code": "resource_missing",
                      "message": message}}  # fmt: skip
    return 404, json.dumps(body).encode()


__all__ = ["DEFAULT_KEY", "Misbehaviour", "Seen", "StripeStandIn", "garbage", "hang",
           "throttled", "unavailable"]  # fmt: skip
