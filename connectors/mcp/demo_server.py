"""A small MCP server, the help desk of the demo: a real server built with the MCP SDK, for
the README's example and the tests. Run it over stdio (as Crosswire does when a connector
names it as its ``command``) or over streamable HTTP:

    python -m connectors.mcp.demo_server                 # stdio
    python -m connectors.mcp.demo_server --http 8765     # http://127.0.0.1:8765/mcp

Its tools show each kind the connector tells apart: a read-only search, an additive and
idempotent tag, a destructive close, an unannotated reopen, and a report that always fails.
With ``DESK_TOKEN`` required (``--require-token``) it refuses to search unless its
environment holds one, which shows that a configured ``env`` reaches the server.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel

VERSION = "1.0"
TICKETS: tuple[dict[str, str], ...] = (
    {"id": "T-1001", "account": "Acme Corp", "subject": "SSO login loops", "status": "open"},
    {"id": "T-1002", "account": "Acme Corp", "subject": "Invoice PDF blank", "status": "open"},
    {"id": "T-1003", "account": "Globex", "subject": "Export times out", "status": "pending"},
)


class Ticket(BaseModel):
    id: str
    account: str
    subject: str
    status: str


class Tickets(BaseModel):
    tickets: list[Ticket]


def build_server(*, require_token: bool = False, host: str = "127.0.0.1", port: int = 0) -> FastMCP:
    """The help desk server; its tickets live in memory for its life."""
    desk = FastMCP("Demo help desk", host=host, port=port, log_level="WARNING")
    desk._mcp_server.version = VERSION  # FastMCP 1.x would say the SDK's version
    tickets: dict[str, dict[str, Any]] = {t["id"]: {**t, "tags": []} for t in TICKETS}

    @desk.tool(annotations=ToolAnnotations(title="Find tickets", readOnlyHint=True))
    def find_tickets(account: str, status: str | None = None, limit: int = 10) -> Tickets:
        """Open support tickets of a customer account (by name), newest first."""
        if require_token and not os.environ.get("DESK_TOKEN"):
            raise ToolError("not authorised: this desk needs DESK_TOKEN")
        found = [
            Ticket(**{k: t[k] for k in ("id", "account", "subject", "status")})
            for t in tickets.values()
            if account.lower() in t["account"].lower() and (status is None or t["status"] == status)
        ]
        return Tickets(tickets=found[: max(limit, 0)])

    @desk.tool(
        annotations=ToolAnnotations(destructiveHint=False, idempotentHint=True, readOnlyHint=False)
    )
    def tag_ticket(ticket_id: str, tag: str) -> str:
        """Add a tag to a ticket (adding it twice changes nothing)."""
        ticket = _ticket(tickets, ticket_id)
        if tag not in ticket["tags"]:
            ticket["tags"].append(tag)
        return f"{ticket_id} is tagged {', '.join(ticket['tags'])}"

    @desk.tool(annotations=ToolAnnotations(destructiveHint=True, readOnlyHint=False))
    def close_ticket(ticket_id: str, note: str) -> str:
        """Close a ticket with a closing note to the customer."""
        _ticket(tickets, ticket_id)["status"] = "closed"
        return f"{ticket_id} is closed"

    @desk.tool()
    def reopen_ticket(ticket_id: str) -> str:
        """Reopen a closed ticket."""
        _ticket(tickets, ticket_id)["status"] = "open"
        return f"{ticket_id} is open again"

    @desk.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def ticket_report(month: str) -> str:
        """A month's ticket report (its service is offline: this tool always fails)."""
        raise ToolError(f"the report service is offline, so there is no report for {month}")

    return desk


def _ticket(tickets: dict[str, dict[str, Any]], ticket_id: str) -> dict[str, Any]:
    ticket = tickets.get(ticket_id.strip().upper())
    if ticket is None:
        raise ToolError(f"there is no ticket {ticket_id}")
    return ticket


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--http", type=int, metavar="PORT", help="serve streamable HTTP")
    parser.add_argument("--require-token", action="store_true", help="search needs DESK_TOKEN")
    args = parser.parse_args(argv)
    desk = build_server(require_token=args.require_token, port=args.http or 0)
    desk.run("streamable-http" if args.http is not None else "stdio")


if __name__ == "__main__":
    main()
