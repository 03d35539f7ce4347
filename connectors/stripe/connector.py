"""Stripe as a connector (:class:`~connectors.protocol.Connector`): it serves ``billing`` in
place of the demo world's, over one pooled ``httpx.AsyncClient`` for its whole life."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import httpx

from connectors.protocol import RateLimit
from connectors.stripe.client import LABEL, SYSTEM, StripeClient
from connectors.stripe.operations import stripe_operations
from connectors.vendor import VendorConnector, pooled_http
from workflows.catalog import AnyOperation
from workflows.clock import Clock

if TYPE_CHECKING:
    from connectors.config import StripeConfig
    from connectors.identity import IdentityDirectory

# Stripe allows 100 requests a second in live mode and 25 in test mode: stay inside the lower.
DEFAULT_LIMIT: Final = RateLimit(per_second=20, burst=10)


class StripeConnector(VendorConnector):
    """Billing over Stripe's API; ``http`` carries the base URL and the Bearer key."""

    name = "stripe"
    system, kind, label, limit = SYSTEM, "Billing", LABEL, DEFAULT_LIMIT

    def __init__(self, http: httpx.AsyncClient, *, clock: Clock, key_missing: str = "") -> None:
        super().__init__(http, clock=clock, key_missing=key_missing)
        self.stripe = StripeClient(http, clock)

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        return stripe_operations(self.stripe, directory, self.clock)

    async def check(self) -> Any:
        """One cheap authorised read (the first customer) says both whether Stripe answers
        and whether it takes our key."""
        return await self.stripe.get("/v1/customers", {"limit": 1})


def open_stripe(config: StripeConfig, *, clock: Clock) -> StripeConnector:
    """The connector for ``config``: its base URL, its key (from ``STRIPE_API_KEY``) as a
    Bearer token, and a time limit on every exchange."""
    headers = {"Stripe-Version": config.api_version}
    missing = ""
    if config.api_key is None:
        missing = "STRIPE_API_KEY is not set, so Stripe was not asked: set it to an API key"
    else:
        headers["Authorization"] = f"Bearer {config.api_key.get_secret_value()}"
    return StripeConnector(pooled_http(config, headers), clock=clock, key_missing=missing)
