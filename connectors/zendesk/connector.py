"""Zendesk Support as a connector (:class:`~connectors.protocol.Connector`): it serves
``support`` in place of the demo world's, over one pooled ``httpx.AsyncClient`` for its life."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import httpx

from connectors.protocol import RateLimit
from connectors.vendor import VendorConnector, pooled_http
from connectors.zendesk.client import LABEL, SYSTEM, ZendeskClient
from connectors.zendesk.operations import zendesk_operations
from workflows.catalog import AnyOperation
from workflows.clock import Clock

if TYPE_CHECKING:
    from connectors.config import ZendeskConfig
    from connectors.identity import IdentityDirectory

# Zendesk Support allows 200 requests a minute on its Team plan (more on larger plans).
DEFAULT_LIMIT: Final = RateLimit(per_second=3, burst=10)


class ZendeskConnector(VendorConnector):
    """Support over Zendesk's API; ``http`` carries the base URL and the basic auth."""

    name = "zendesk"
    system, kind, label, limit = SYSTEM, "Support desk", LABEL, DEFAULT_LIMIT

    def __init__(self, http: httpx.AsyncClient, *, clock: Clock, key_missing: str = "") -> None:
        super().__init__(http, clock=clock, key_missing=key_missing)
        self.zendesk = ZendeskClient(http, clock)

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        return zendesk_operations(self.zendesk, directory, self.clock)

    async def check(self) -> Any:
        """``/api/v2/users/me.json`` says whether Zendesk answers and takes our token."""
        return await self.zendesk.get("/api/v2/users/me.json")

    def refusal(self, answer: Any) -> str:
        """An unauthenticated caller comes back as the anonymous user: counted as refused."""
        user = answer.get("user") if isinstance(answer, dict) else None
        if not isinstance(user, dict) or not user.get("id"):
            return f"{LABEL} took us for an anonymous user: check the token"
        return ""


def basic_auth(email: str, token: str) -> str:
    """Zendesk's API-token credentials: ``{email}/token:{token}``, base64, as basic auth."""
    raw = f"{email}/token:{token}".encode()
    return f"Basic {base64.b64encode(raw).decode()}"


def open_zendesk(config: ZendeskConfig, *, clock: Clock) -> ZendeskConnector:
    """The connector for ``config``: its base URL, the agent's email and API token (from
    ``ZENDESK_EMAIL`` and ``ZENDESK_API_TOKEN``), and a time limit on every exchange."""
    headers = {"Accept": "application/json"}
    missing = ""
    if config.api_token is None or not config.email:
        given = (("ZENDESK_EMAIL", config.email), ("ZENDESK_API_TOKEN", config.api_token))
        unset = [name for name, value in given if not value]
        verb = "is" if len(unset) == 1 else "are"
        missing = (
            f"{' and '.join(unset)} {verb} not set, so Zendesk was not asked: set the agent's "
            "email and an API token (Admin Center > Apps and integrations > Zendesk API)"
        )
    else:
        headers["Authorization"] = basic_auth(config.email, config.api_token.get_secret_value())
    return ZendeskConnector(pooled_http(config, headers), clock=clock, key_missing=missing)
