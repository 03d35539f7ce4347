"""Zendesk Support as a connector (:class:`~connectors.protocol.Connector`): it serves
``support`` in place of the demo world's, over one pooled ``httpx.AsyncClient`` for its life."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import httpx

from connectors.errors import AccessDenied
from connectors.protocol import RateLimit, Reachability
from connectors.zendesk.client import LABEL, SYSTEM, ZendeskClient
from connectors.zendesk.operations import zendesk_operations
from workflows.catalog import AnyOperation
from workflows.clock import Clock
from workflows.errors import OperationError

if TYPE_CHECKING:
    from connectors.config import ZendeskConfig
    from connectors.identity import IdentityDirectory

# Zendesk Support allows 200 requests a minute on its Team plan (more on larger plans).
DEFAULT_LIMIT: Final = RateLimit(per_second=3, burst=10)


class ZendeskConnector:
    """Support over Zendesk's API; ``http`` carries the base URL and the basic auth."""

    name = "zendesk"

    def __init__(self, http: httpx.AsyncClient, *, clock: Clock, key_missing: str = "") -> None:
        self.http = http
        self.zendesk = ZendeskClient(http, clock)
        self.clock = clock
        self.key_missing = key_missing

    def systems(self) -> Mapping[str, str]:
        return {SYSTEM: "Support desk"}

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        return zendesk_operations(self.zendesk, directory, self.clock)

    def rate_limits(self) -> Mapping[str, RateLimit]:
        return {SYSTEM: DEFAULT_LIMIT}

    async def health(self) -> Sequence[Reachability]:
        """``/api/v2/users/me.json`` says whether Zendesk answers and takes our token (an
        unauthenticated caller comes back as the anonymous user, which we count as refused)."""
        note = f"{LABEL} at {self.http.base_url.host}"

        def row(reachable: bool, authorised: bool, problem: str = "") -> list[Reachability]:
            return [Reachability(system=SYSTEM, reachable=reachable, authorised=authorised,
                                 problem=problem, note=note)]  # fmt: skip

        if self.key_missing:
            return row(False, False, self.key_missing)
        try:
            me = await self.zendesk.get("/api/v2/users/me.json")
        except AccessDenied as exc:
            return row(True, False, str(exc))
        except OperationError as exc:
            return row(False, False, str(exc))
        user = me.get("user") if isinstance(me, dict) else None
        if not isinstance(user, dict) or not user.get("id"):
            return row(True, False, f"{LABEL} took us for an anonymous user: check the token")
        return row(True, True)

    async def aclose(self) -> None:
        await self.http.aclose()


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
    http = httpx.AsyncClient(
        base_url=config.base_url,
        headers=headers,
        timeout=httpx.Timeout(config.timeout_s),
        limits=httpx.Limits(max_connections=config.max_connections),
    )
    return ZendeskConnector(http, clock=clock, key_missing=missing)
