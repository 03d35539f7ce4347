"""A real MCP server's tools as catalog operations, over stdio (the connector starts the demo
help desk) and over streamable HTTP (uvicorn on a free port): the risk each tool gets from its
annotations and the server's trust, arguments checked against its input schema, results in a
typed wrapper, a failing tool and a server that is gone as the project's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from connectors.errors import SystemUnavailable
from connectors.mcp import McpConnector, McpServerConfig, ToolOutput, ToolOverride, open_mcp
from tests.connectors.mcp_env import DESK_COMMAND, http_desk
from workflows.catalog import AnyOperation, CallContext, Catalog, Risk
from workflows.errors import PermanentOperationError

CTX = CallContext(run_id="run-1", step_id="s1", requester_email="dana.reyes@northwind.example")


@asynccontextmanager
async def desk(**settings: Any) -> AsyncIterator[McpConnector]:
    config = McpServerConfig(command=DESK_COMMAND, label="Help desk", **settings)
    connector = await open_mcp("desk", config)
    try:
        yield connector
    finally:
        await connector.aclose()


def by_name(connector: McpConnector) -> dict[str, AnyOperation]:
    return {op.name: op for op in connector.operations(directory=None)}  # type: ignore[arg-type]


def kinds(connector: McpConnector) -> dict[str, tuple[str, Risk, bool]]:
    return {n: (op.access, op.risk, op.reversible) for n, op in by_name(connector).items()}


async def run(op: AnyOperation, args: dict[str, Any]) -> ToolOutput:
    output = await op.handler(op.input_model.model_validate(args), CTX)
    assert isinstance(output, ToolOutput)
    return output


async def test_a_trusted_servers_annotations_set_each_tools_risk() -> None:
    async with desk(trusted=True) as connector:
        assert connector.problem == ""
        assert kinds(connector) == {
            "desk.find_tickets": ("read", Risk.LOW, True),
            "desk.ticket_report": ("read", Risk.LOW, True),
            "desk.tag_ticket": ("write", Risk.MEDIUM, False),
            "desk.close_ticket": ("write", Risk.HIGH, False),  # destructive
            "desk.reopen_ticket": ("write", Risk.HIGH, False),  # unannotated
        }
        Catalog.of(connector.operations(directory=None))  # type: ignore[arg-type]


async def test_an_untrusted_servers_tools_are_all_destructive_writes() -> None:
    async with desk() as connector:
        assert set(kinds(connector).values()) == {("write", Risk.HIGH, False)}


async def test_the_operator_may_say_what_a_tool_is() -> None:
    overrides = {"find_tickets": ToolOverride(access="read", risk=Risk.LOW)}
    async with desk(tools=overrides) as connector:
        assert kinds(connector)["desk.find_tickets"] == ("read", Risk.LOW, True)
        assert kinds(connector)["desk.ticket_report"] == ("write", Risk.HIGH, False)


async def test_a_read_runs_over_stdio_with_its_structured_result() -> None:
    async with desk(trusted=True) as connector:
        output = await run(by_name(connector)["desk.find_tickets"], {"account": "acme"})
    assert output.structured is not None
    assert [t["id"] for t in output.structured["tickets"]] == ["T-1001", "T-1002"]


async def test_the_env_reaches_the_server_from_crosswires_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = (*DESK_COMMAND, "--require-token")
    env = {"DESK_TOKEN": "${DESK_TOKEN}"}
    monkeypatch.setenv("DESK_TOKEN", "desk-token-7f3a")
    config = McpServerConfig(command=command, env=env, trusted=True)
    assert config.secrets() == ["desk-token-7f3a"]
    connector = await open_mcp("desk", config)
    try:
        output = await run(by_name(connector)["desk.find_tickets"], {"account": "globex"})
        assert output.structured == {"tickets": [{"id": "T-1003", "account": "Globex",
                                                  "subject": "Export times out",
                                                  "status": "pending"}]}  # fmt: skip
    finally:
        await connector.aclose()
    monkeypatch.delenv("DESK_TOKEN")
    missing = await open_mcp("desk", config)
    assert missing.problem == "DESK_TOKEN not set, so the desk MCP server was not started"
    assert missing.operations(directory=None) == []  # type: ignore[arg-type]
    assert (await missing.health())[0].reachable is False


async def test_arguments_are_checked_against_the_tools_input_schema() -> None:
    async with desk(trusted=True) as connector:
        find = by_name(connector)["desk.find_tickets"]
        schema = find.describe()["input_schema"]
        assert schema["required"] == ["account"]
        assert set(schema["properties"]) == {"account", "status", "limit"}
        for wrong in ({}, {"account": 7}, {"account": "acme", "colour": "red"}):
            with pytest.raises(ValueError):
                find.input_model.model_validate(wrong)
        assert find.input_model.model_validate({"account": "a"}).arguments() == {"account": "a"}


async def test_a_tool_that_fails_is_a_permanent_error_with_its_reason() -> None:
    async with desk(trusted=True) as connector:
        with pytest.raises(PermanentOperationError) as failed:
            await run(by_name(connector)["desk.ticket_report"], {"month": "2026-11"})
    assert failed.value.system == "desk"
    assert "the report service is offline" in str(failed.value)


async def test_closing_stops_the_stdio_server() -> None:
    async with desk(trusted=True) as connector:
        connection = connector.link._connection
        assert connection is not None and not connection.broken
    assert connection.task.done() and connection.broken


async def test_over_streamable_http_the_tools_are_the_same_and_run() -> None:
    with http_desk() as server:
        config = McpServerConfig(url=server.url, trusted=True, label="Help desk")
        connector = await open_mcp("desk", config)
        try:
            assert kinds(connector)["desk.close_ticket"] == ("write", Risk.HIGH, False)
            assert kinds(connector)["desk.find_tickets"] == ("read", Risk.LOW, True)
            closed = await run(
                by_name(connector)["desk.close_ticket"], {"ticket_id": "T-1001", "note": "fixed"}
            )
            assert closed.structured == {"result": "T-1001 is closed"}
            (health,) = await connector.health()
            assert health.reachable and health.authorised
            assert health.note.startswith("Demo help desk ")
            assert "5 tools, over streamable HTTP (127.0.0.1:" in health.note
        finally:
            await connector.aclose()


async def test_a_server_that_went_away_is_a_retryable_error() -> None:
    with http_desk() as server:
        config = McpServerConfig(url=server.url, trusted=True, timeout_s=3)
        connector = await open_mcp("desk", config)
        find = by_name(connector)["desk.find_tickets"]
    try:
        with pytest.raises(SystemUnavailable) as gone:
            await run(find, {"account": "acme"})
        assert gone.value.system == "desk"
        (health,) = await connector.health()
        assert health.reachable is False
    finally:
        await connector.aclose()


async def test_a_server_that_is_not_there_contributes_nothing_and_says_why() -> None:
    config = McpServerConfig(url="http://127.0.0.1:9/mcp", timeout_s=3)
    connector = await open_mcp("wiki", config)
    try:
        assert connector.operations(directory=None) == []  # type: ignore[arg-type]
        (health,) = await connector.health()
        assert (health.reachable, health.problem) == (
            False, "The wiki MCP server could not be reached (connection refused)"
        )  # fmt: skip
    finally:
        await connector.aclose()
    absent = await open_mcp("tool", McpServerConfig(command=("no-such-mcp-server-here",)))
    assert absent.problem == "The tool MCP server could not be reached (its command was not found)"
    await absent.aclose()


async def test_a_secret_the_server_echoes_in_its_error_is_not_repeated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DESK_TOKEN", "desk-token-51d0")
    async with desk(trusted=True, env={"DESK_TOKEN": "${DESK_TOKEN}"}) as connector:
        with pytest.raises(PermanentOperationError) as failed:
            await run(by_name(connector)["desk.ticket_report"], {"month": "desk-token-51d0"})
    assert "desk-token-51d0" not in str(failed.value)
    assert "no report for [redacted]" in str(failed.value)
