"""A small MCP server, the help desk of the demo: a real server built with the MCP SDK, for
the README's example and the tests. Run it over stdio (as Crosswire does when a connector
names it as its ``command``) or over streamable HTTP:

    python -m connectors.mcp.demo_server                 # stdio
    python -m connectors.mcp.demo_server --http 8765     # http://127.0.0.1:8765/mcp

Its tools show each kind the connector tells apart: a read-only search, an additive and
idempotent tag, a destructive close, an unannotated reopen, and a report that always fails.
With ``DESK_TOKEN`` required (``--require-token``) it refuses to search unless its
environment holds one, which shows that a configured ``env`` reaches the server.

With ``DESK_CALL_LOG`` naming a file, every tool call it receives is appended to that file as
one JSON line (the tool, its arguments, and the idempotency key the client sent in the
request's ``_meta``, if any) before the tool acts, so anyone can count what the desk was
asked to do. MCP has no idempotency header: this desk reads the key and does not act on it,
as most servers would not. ``DESK_WRITE_DELAY_S`` makes each write wait that many seconds
after it is logged and before it acts: a slow desk.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, Final

import anyio
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel

VERSION = "1.0"
# Where a client puts a call's idempotency key in the request's `_meta` (MCP has no header).
IDEMPOTENCY_META: Final = "io.crosswire/idempotency-key"
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
    def find_tickets(
        ctx: Context[Any, Any, Any], account: str, status: str | None = None, limit: int = 10
    ) -> Tickets:
        """Open support tickets of a customer account (by name), newest first."""
        _logged(ctx, "find_tickets", account=account, status=status, limit=limit)
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
    async def tag_ticket(ctx: Context[Any, Any, Any], ticket_id: str, tag: str) -> str:
        """Add a tag to a ticket (adding it twice changes nothing)."""
        _logged(ctx, "tag_ticket", ticket_id=ticket_id, tag=tag)
        await _slow_write()
        ticket = _ticket(tickets, ticket_id)
        if tag not in ticket["tags"]:
            ticket["tags"].append(tag)
        return f"{ticket_id} is tagged {', '.join(ticket['tags'])}"

    @desk.tool(annotations=ToolAnnotations(destructiveHint=True, readOnlyHint=False))
    async def close_ticket(ctx: Context[Any, Any, Any], ticket_id: str, note: str) -> str:
        """Close a ticket with a closing note to the customer."""
        _logged(ctx, "close_ticket", ticket_id=ticket_id, note=note)
        await _slow_write()
        _ticket(tickets, ticket_id)["status"] = "closed"
        return f"{ticket_id} is closed"

    @desk.tool()
    async def reopen_ticket(ctx: Context[Any, Any, Any], ticket_id: str) -> str:
        """Reopen a closed ticket."""
        _logged(ctx, "reopen_ticket", ticket_id=ticket_id)
        await _slow_write()
        _ticket(tickets, ticket_id)["status"] = "open"
        return f"{ticket_id} is open again"

    @desk.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def ticket_report(ctx: Context[Any, Any, Any], month: str) -> str:
        """A month's ticket report (its service is offline: this tool always fails)."""
        _logged(ctx, "ticket_report", month=month)
        raise ToolError(f"the report service is offline, so there is no report for {month}")

    return desk


def _logged(ctx: Context[Any, Any, Any], tool: str, **arguments: Any) -> None:
    """Append the call to ``DESK_CALL_LOG``, when set (see the module docstring)."""
    path = os.environ.get("DESK_CALL_LOG")
    if not path:
        return
    meta = ctx.request_context.meta
    extra = (meta.model_extra or {}) if meta is not None else {}
    key = extra.get(IDEMPOTENCY_META)
    line = {"tool": tool, "arguments": arguments, "idempotency_key": key}
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")


async def _slow_write() -> None:
    delay = float(os.environ.get("DESK_WRITE_DELAY_S") or 0)
    if delay > 0:
        await anyio.sleep(delay)


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
