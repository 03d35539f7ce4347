"""What the connectors for one vendor system over one pooled ``httpx.AsyncClient`` share
(Stripe's, HubSpot's, Zendesk's): the system they serve and its rate budget, spent by every
request the client sends (:func:`connectors.pacing.pace_client`), a health check of one cheap
authorised read (:func:`connectors.health.probe`), and closing the client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol

import httpx

from connectors.health import probe
from connectors.pacing import Pacing, pace_client
from connectors.protocol import RateLimit, Reachability
from workflows.clock import Clock


class PooledConfig(Protocol):
    @property
    def base_url(self) -> str: ...
    @property
    def timeout_s(self) -> float: ...
    @property
    def max_connections(self) -> int: ...


def pooled_http(config: PooledConfig, headers: Mapping[str, str]) -> httpx.AsyncClient:
    """The client for ``config``: its base URL, these headers, and a time limit on every
    exchange."""
    return httpx.AsyncClient(
        base_url=config.base_url,
        headers=dict(headers),
        timeout=httpx.Timeout(config.timeout_s),
        limits=httpx.Limits(max_connections=config.max_connections),
    )


class VendorConnector:
    """One vendor system over ``http`` (which carries the base URL and the credentials);
    ``key_missing`` says which credential is not set, so the vendor is never asked."""

    system: ClassVar[str]  # the system id it serves
    kind: ClassVar[str]  # the system's label for answers ("Billing")
    label: ClassVar[str]  # the vendor's name in messages ("Stripe")
    limit: ClassVar[RateLimit]

    def __init__(self, http: httpx.AsyncClient, *, clock: Clock, key_missing: str = "") -> None:
        self.http = http
        self.clock = clock
        self.key_missing = key_missing

    def systems(self) -> Mapping[str, str]:
        return {self.system: self.kind}

    def rate_limits(self) -> Mapping[str, RateLimit]:
        return {self.system: self.limit}

    def pace(self, pacing: Pacing) -> None:
        """Every request to the vendor, the health check's included, waits its turn."""
        pace_client(self.http, self.system, pacing)

    async def health(self) -> Sequence[Reachability]:
        note = f"{self.label} at {self.http.base_url.host}"
        found = await probe(self.system, note, self.check, missing=self.key_missing,
                            refusal=self.refusal)  # fmt: skip
        return [found]

    async def check(self) -> Any:
        """The cheap authorised read the health check makes."""
        raise NotImplementedError

    def refusal(self, answer: Any) -> str:
        """Why ``answer`` still counts as refused credentials ("" when it does not)."""
        return ""

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = ["PooledConfig", "VendorConnector", "pooled_http"]
