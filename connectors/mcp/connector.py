"""One MCP server as a connector (:class:`~connectors.protocol.Connector`): the system
``<name>`` from ``[connectors.mcp.<name>]``, whose tools are its operations.

It connects and lists the tools when opened (:func:`open_mcp`); a server that cannot be
reached then contributes no operations and says why in its health, and Crosswire starts
without it. A call after the server went away raises a retryable connector error, so the
step is a named gap in the answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mcp import types

from connectors.mcp.config import McpServerConfig
from connectors.mcp.operations import tool_operations
from connectors.mcp.session import McpLink
from connectors.protocol import RateLimit, Reachability
from workflows.catalog import AnyOperation
from workflows.errors import OperationError

if TYPE_CHECKING:
    from connectors.identity import IdentityDirectory


class McpConnector:
    """The tools of one MCP server, listed when it was opened."""

    name = "mcp"

    def __init__(self, link: McpLink, config: McpServerConfig, *, problem: str = "") -> None:
        self.link = link
        self.config = config
        self.listed: list[types.Tool] = []
        self.problem = problem

    async def start(self) -> None:
        """Connect and list the tools; on failure, remember why (never raises)."""
        if self.problem:
            return
        try:
            self.listed = await self.link.tools()
        except OperationError as exc:
            self.problem = str(exc)

    def systems(self) -> Mapping[str, str]:
        return {self.link.system: self.link.label}

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        return tool_operations(
            self.link, self.listed, trusted=self.config.trusted, overrides=self.config.tools
        )

    def rate_limits(self) -> Mapping[str, RateLimit]:
        return {}

    async def health(self) -> Sequence[Reachability]:
        """Whether the server answers a listing of its tools now, and who it says it is."""
        system = self.link.system
        if self.problem and not self.listed:
            return [Reachability(system=system, reachable=False, authorised=False,
                                 problem=self.problem, note=self._where())]  # fmt: skip
        try:
            tools = await self.link.tools()
        except OperationError as exc:
            return [Reachability(system=system, reachable=False, authorised=False,
                                 problem=str(exc), note=self._where())]  # fmt: skip
        return [Reachability(system=system, reachable=True, authorised=True,
                             note=self._note(len(tools)))]  # fmt: skip

    async def aclose(self) -> None:
        await self.link.aclose()

    def _where(self) -> str:
        if self.config.command is not None:
            return f"over stdio ({Path(self.config.command[0]).name})"
        return f"over streamable HTTP ({_host(self.config.url or '')})"

    def _note(self, tools: int) -> str:
        info = self.link.info
        server = f"{info.serverInfo.name} {info.serverInfo.version}" if info else "server"
        trust = (
            "trusted" if self.config.trusted else "not trusted, so every tool is a high-risk write"
        )
        return f"{server}, {tools} tools, {self._where()}, {trust}"


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or url


async def open_mcp(name: str, config: McpServerConfig) -> McpConnector:
    """The connector of ``[connectors.mcp.<name>]``, connected and with its tools listed."""
    label = config.label or name
    link = McpLink(config, system=name, label=label)
    missing = config.missing()
    problem = ""
    if missing:
        problem = f"{', '.join(missing)} not set, so the {label} MCP server was not started"
    connector = McpConnector(link, config, problem=problem)
    await connector.start()
    return connector


__all__ = ["McpConnector", "open_mcp"]
