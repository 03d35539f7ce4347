"""Stripe as a connector (:class:`~connectors.protocol.Connector`): it serves ``billing`` in
place of the demo world's, over one pooled ``httpx.AsyncClient`` for its whole life."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import httpx

from connectors.errors import AccessDenied
from connectors.protocol import RateLimit, Reachability
from connectors.stripe.client import LABEL, SYSTEM, StripeClient
from connectors.stripe.operations import stripe_operations
from workflows.catalog import AnyOperation
from workflows.clock import Clock
from workflows.errors import OperationError

if TYPE_CHECKING:
    from connectors.config import StripeConfig
    from connectors.identity import IdentityDirectory

# Stripe allows 100 requests a second in live mode and 25 in test mode: stay inside the lower.
DEFAULT_LIMIT: Final = RateLimit(per_second=20, burst=10)


class StripeConnector:
    """Billing over Stripe's API; ``http`` carries the base URL and the Bearer key."""

    name = "stripe"

    def __init__(self, http: httpx.AsyncClient, *, clock: Clock, key_missing: str = "") -> None:
        self.http = http
        self.stripe = StripeClient(http, clock)
        self.clock = clock
        self.key_missing = key_missing

    def systems(self) -> Mapping[str, str]:
        return {SYSTEM: "Billing"}

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        return stripe_operations(self.stripe, directory, self.clock)

    def rate_limits(self) -> Mapping[str, RateLimit]:
        return {SYSTEM: DEFAULT_LIMIT}

    async def health(self) -> Sequence[Reachability]:
        """One cheap authorised read (the first customer) says both whether Stripe answers
        and whether it takes our key."""
        note = f"{LABEL} at {self.http.base_url.host}"
        if self.key_missing:
            return [Reachability(system=SYSTEM, reachable=False, authorised=False,
                                 problem=self.key_missing, note=note)]  # fmt: skip
        try:
            await self.stripe.get("/v1/customers", {"limit": 1})
        except AccessDenied as exc:
            return [Reachability(system=SYSTEM, reachable=True, authorised=False,
                                 problem=str(exc), note=note)]  # fmt: skip
        except OperationError as exc:
            return [Reachability(system=SYSTEM, reachable=False, authorised=False,
                                 problem=str(exc), note=note)]  # fmt: skip
        return [Reachability(system=SYSTEM, reachable=True, authorised=True, note=note)]

    async def aclose(self) -> None:
        await self.http.aclose()


def open_stripe(config: StripeConfig, *, clock: Clock) -> StripeConnector:
    """The connector for ``config``: its base URL, its key (from ``STRIPE_API_KEY``) as a
    Bearer token, and a time limit on every exchange."""
    headers = {"Stripe-Version": config.api_version}
    missing = ""
    if config.api_key is None:
        missing = "STRIPE_API_KEY is not set, so Stripe was not asked: set it to an API key"
    else:
        headers["Authorization"] = f"Bearer {config.api_key.get_secret_value()}"
    http = httpx.AsyncClient(
        base_url=config.base_url,
        headers=headers,
        timeout=httpx.Timeout(config.timeout_s),
        limits=httpx.Limits(max_connections=config.max_connections),
    )
    return StripeConnector(http, clock=clock, key_missing=missing)
