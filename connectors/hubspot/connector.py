"""HubSpot as a connector (:class:`~connectors.protocol.Connector`): it serves ``crm`` in place
of the demo world's, over one pooled ``httpx.AsyncClient`` for its whole life."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import httpx

from connectors.hubspot.client import LABEL, SYSTEM, HubSpotClient
from connectors.hubspot.operations import hubspot_operations
from connectors.protocol import RateLimit
from connectors.vendor import VendorConnector, pooled_http
from workflows.catalog import AnyOperation
from workflows.clock import Clock

if TYPE_CHECKING:
    from connectors.config import HubSpotConfig
    from connectors.identity import IdentityDirectory

# A private app may send 100 requests per 10 seconds (190 on Pro and Enterprise), and the
# search endpoints 5 a second: the searches set the pace.
DEFAULT_LIMIT: Final = RateLimit(per_second=4, burst=5)


class HubSpotConnector(VendorConnector):
    """The CRM over HubSpot's API; ``http`` carries the base URL and the Bearer token."""

    name = "hubspot"
    system, kind, label, limit = SYSTEM, "CRM", LABEL, DEFAULT_LIMIT

    def __init__(self, http: httpx.AsyncClient, *, clock: Clock, key_missing: str = "") -> None:
        super().__init__(http, clock=clock, key_missing=key_missing)
        self.hubspot = HubSpotClient(http, clock)

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        return hubspot_operations(self.hubspot, directory, self.clock)

    async def check(self) -> Any:
        """One cheap authorised read (the first company) says both whether HubSpot answers
        and whether it takes our token."""
        return await self.hubspot.get("/crm/v3/objects/companies", {"limit": "1"})


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
    return HubSpotConnector(pooled_http(config, headers), clock=clock, key_missing=missing)
