"""HubSpot as a connector (:class:`~connectors.protocol.Connector`): it serves ``crm`` in place
of the demo world's, over one pooled ``httpx.AsyncClient`` for its whole life."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import httpx

from connectors.errors import AccessDenied
from connectors.hubspot.client import LABEL, SYSTEM, HubSpotClient
from connectors.hubspot.operations import hubspot_operations
from connectors.protocol import RateLimit, Reachability
from workflows.catalog import AnyOperation
from workflows.clock import Clock
from workflows.errors import OperationError

if TYPE_CHECKING:
    from connectors.config import HubSpotConfig
    from connectors.identity import IdentityDirectory

# A private app may send 100 requests per 10 seconds (190 on Pro and Enterprise), and the
# search endpoints 5 a second: the searches set the pace.
DEFAULT_LIMIT: Final = RateLimit(per_second=4, burst=5)


class HubSpotConnector:
    """The CRM over HubSpot's API; ``http`` carries the base URL and the Bearer token."""

    name = "hubspot"

    def __init__(self, http: httpx.AsyncClient, *, clock: Clock, key_missing: str = "") -> None:
        self.http = http
        self.hubspot = HubSpotClient(http, clock)
        self.clock = clock
        self.key_missing = key_missing

    def systems(self) -> Mapping[str, str]:
        return {SYSTEM: "CRM"}

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        return hubspot_operations(self.hubspot, directory, self.clock)

    def rate_limits(self) -> Mapping[str, RateLimit]:
        return {SYSTEM: DEFAULT_LIMIT}

    async def health(self) -> Sequence[Reachability]:
        """One cheap authorised read (the first company) says both whether HubSpot answers
        and whether it takes our token."""
        note = f"{LABEL} at {self.http.base_url.host}"

        def row(reachable: bool, authorised: bool, problem: str = "") -> list[Reachability]:
            return [Reachability(system=SYSTEM, reachable=reachable, authorised=authorised,
                                 problem=problem, note=note)]  # fmt: skip

        if self.key_missing:
            return row(False, False, self.key_missing)
        try:
            await self.hubspot.get("/crm/v3/objects/companies", {"limit": "1"})
        except AccessDenied as exc:
            return row(True, False, str(exc))
        except OperationError as exc:
            return row(False, False, str(exc))
        return row(True, True)

    async def aclose(self) -> None:
        await self.http.aclose()


def open_hubspot(config: HubSpotConfig, *, clock: Clock) -> HubSpotConnector:
    """The connector for ``config``: its base URL, the private app's access token (from
    ``HUBSPOT_ACCESS_TOKEN``) as a Bearer token, and a time limit on every exchange."""
    headers = {"Accept": "application/json"}
    missing = ""
    if config.access_token is None:
        missing = (
            "HUBSPOT_ACCESS_TOKEN is not set, so HubSpot was not asked: set it to a private "
            "app's access token"
        )
    else:
        headers["Authorization"] = f"Bearer {config.access_token.get_secret_value()}"
    http = httpx.AsyncClient(
        base_url=config.base_url,
        headers=headers,
        timeout=httpx.Timeout(config.timeout_s),
        limits=httpx.Limits(max_connections=config.max_connections),
    )
    return HubSpotConnector(http, clock=clock, key_missing=missing)
