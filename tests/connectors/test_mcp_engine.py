"""A real MCP server's tools run like any other operation: a plan step calling the help
desk's read-only search runs through the engine on real DBOS and SQLite and its result
reaches the answer; a server that went away is a named gap, not a crash; and the packaged
approval policy holds a destructive or unannotated tool (a HIGH-risk write) for a person."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from connectors.mcp import McpConnector, McpServerConfig, open_mcp
from tests.connectors.demo_env import demo_state
from tests.connectors.mcp_env import DESK_COMMAND, http_desk
from tests.workflows.engine_env import EngineEnv, engine_env
from workflows.approvals.policy import ApprovalPolicy
from workflows.catalog import AnyOperation
from workflows.engine import StepPolicy
from workflows.models import Principal
from workflows.plan import Plan, Step

DANA = Principal(email="dana.reyes@northwind.example", name="Dana Reyes")
FIND = Plan(
    workflow="test",
    subject="Acme tickets",
    steps=(Step(id="tickets", operation="desk.find_tickets", args={"account": "Acme"}),),
)


@dataclass
class Desk:
    """The connector as the engine's test systems are: a name and its operations."""

    connector: McpConnector
    name: str = "desk"

    def operations(self) -> list[AnyOperation]:
        return list(self.connector.operations(directory=None))  # type: ignore[arg-type]


@asynccontextmanager
async def engine(tmp_path: Path, connector: McpConnector) -> AsyncIterator[EngineEnv]:
    policy = StepPolicy(timeout_s=10, attempts=2, backoff_initial_s=0.01)
    with contextlib.redirect_stdout(io.StringIO()):
        async with engine_env(tmp_path, Desk(connector), policy=policy) as env:  # type: ignore[arg-type]
            yield env


async def test_a_plan_step_calls_the_read_tool_and_its_result_reaches_the_answer(
    tmp_path: Path,
) -> None:
    config = McpServerConfig(command=DESK_COMMAND, trusted=True, label="Help desk")
    connector = await open_mcp("desk", config)
    try:
        async with engine(tmp_path, connector) as env:
            outcome = await env.run(FIND)
    finally:
        await connector.aclose()
    step = outcome["tickets"]
    assert (step["status"], step["attempts"]) == ("ok", 1)
    output = step["output"]
    assert isinstance(output, dict)
    subjects = [t["subject"] for t in output["tickets"]]
    assert subjects == ["SSO login loops", "Invoice PDF blank"]


async def test_a_server_that_went_away_is_a_named_gap(tmp_path: Path) -> None:
    with http_desk() as server:
        config = McpServerConfig(url=server.url, trusted=True, label="Help desk", timeout_s=3)
        connector = await open_mcp("desk", config)
    try:
        async with engine(tmp_path, connector) as env:
            outcome = await env.run(FIND)
    finally:
        await connector.aclose()
    step = outcome["tickets"]
    assert (step["status"], step["failure"]) == ("failed", "transient")
    assert str(step["error"]).startswith("The Help desk MCP server")


async def test_destructive_and_unannotated_tools_wait_for_approval(tmp_path: Path) -> None:
    async with demo_state(tmp_path) as demo:
        directory = demo.directory
    policy = ApprovalPolicy.load()
    trusted = await open_mcp("desk", McpServerConfig(command=DESK_COMMAND, trusted=True))
    untrusted = await open_mcp("desk", McpServerConfig(command=DESK_COMMAND))
    try:
        ops = {op.name: op for op in Desk(trusted).operations()}
        close = {"ticket_id": "T-1001", "note": "fixed"}
        for name, args in [("desk.close_ticket", close), ("desk.reopen_ticket", close)]:
            gate = policy.gate(ops[name], [args], DANA, directory)
            assert (gate.required, gate.rule) == (True, "unmatched-high-risk"), name
        tag = policy.gate(ops["desk.tag_ticket"], [{"ticket_id": "T-1", "tag": "x"}], DANA,
                          directory)  # fmt: skip
        assert (tag.required, tag.rule) == (False, "unmatched-write")
        assert policy.gate(ops["desk.find_tickets"], [{}], DANA, directory).required is False
        read_of_untrusted = {op.name: op for op in Desk(untrusted).operations()}
        assert policy.gate(
            read_of_untrusted["desk.find_tickets"], [{"account": "Acme"}], DANA, directory
        ).required
    finally:
        await trusted.aclose()
        await untrusted.aclose()
