"""A tool of a real MCP server, asked for in Slack, planned by Claude and held for approval.

The help desk MCP server (``connectors.mcp.demo_server``) is configured as crosswire.toml
would configure it (``[connectors.mcp.desk]``, started over stdio by the bot itself) with a
call log (``DESK_CALL_LOG``), so the test counts what the server was asked to do from the
server's own side. Dana asks in a channel to close a ticket; the Claude planner (the Messages
API stand-in, scripted) plans ``desk.close_ticket`` from the catalog it was shown; the run
waits for Rachel Kim, Dana's manager, in her DM; her clicks are signed requests to the real
app, which wakes the real run (DBOS on SQLite).
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.render.approvals import APPROVE_ALL, REJECT
from bot.reporters.approvals import APPROVAL_EVENT
from bot.sandbox import payloads
from bot.sandbox.slack_api import PostedMessage
from bot.settings import Settings
from tests.bot.approval_story import (
    DANA_EMAIL,
    RACHEL,
    RACHEL_EMAIL,
    RUN_TIMEOUT_S,
    START,
    Story,
    buttons,
    of_kind,
    start_story,
    typed,
)
from tests.bot.test_approval_story import shown
from tests.harness import CHANNEL, DANA
from workflows.approvals import approval_id
from workflows.audit import RunDetail
from workflows.catalog import CallContext
from workflows.clock import ManualClock
from workflows.plan import Plan, Step
from workflows.planning.claude import NETWORK_SWITCH
from workflows.planning.messages_standin import MessagesStandIn, tool_use

CLOSE = "close ticket T-1001 on the help desk, it's fixed"
NOTE = "The SSO fix is live, so we are closing this ticket. Reply to reopen it."


def desk_table(log: Path, *, trusted: bool) -> str:
    """``[connectors.mcp.desk]`` as an operator writes it in crosswire.toml."""
    return f"""
[connectors.mcp.desk]
command = [{json.dumps(sys.executable)}, "-m", "connectors.mcp.demo_server"]
label = "Help desk"
trusted = {str(trusted).lower()}
env = {{ DESK_CALL_LOG = {json.dumps(str(log))} }}
"""


def close_plan() -> Plan:
    return Plan(
        workflow="answer",
        subject="Ticket T-1001",
        summary="Close T-1001 on the help desk",
        steps=(
            Step(
                id="close",
                operation="desk.close_ticket",
                args={"ticket_id": "T-1001", "note": NOTE},
                title="Close ticket T-1001 on the help desk",
            ),
        ),
    )


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesStandIn]:
    monkeypatch.setenv(NETWORK_SWITCH, "1")
    with MessagesStandIn() as server:
        yield server


@pytest.fixture
def calls_log(tmp_path: Path) -> Path:
    return tmp_path / "desk-calls.jsonl"


def settings_for(tmp_path: Path, model: MessagesStandIn, log: Path, *, trusted: bool) -> Settings:
    table = tomllib.loads(desk_table(log, trusted=trusted))
    return Settings(
        state_dir=tmp_path / "state",
        scheduler=False,
        step_timeout_s=5.0,
        anthropic_api_key=model.api_key,
        anthropic_base_url=model.url,
        connectors=table["connectors"],
    )


@pytest.fixture
async def story(tmp_path: Path, model: MessagesStandIn, calls_log: Path) -> AsyncIterator[Story]:
    settings = settings_for(tmp_path, model, calls_log, trusted=True)
    async with start_story(settings, ManualClock(START)) as started:
        yield started


# ---------------------------------------------------------------- asked, and approved


async def test_the_close_waits_for_the_manager_and_once_approved_runs_exactly_once(
    story: Story, model: MessagesStandIn, calls_log: Path
) -> None:
    model.script(tool_use("submit_plan", {"plan": close_plan().model_dump(mode="json")}))
    event = payloads.app_mention(CLOSE, user=DANA, channel=CHANNEL, event_id="Ev0MCPYES")
    run_id, thread = await ask(story, event, "close")

    # The model was shown the server's tool, with its own input schema, in the catalog.
    [request] = model.bodies
    assert [t["name"] for t in request["tools"]] == ["submit_plan"]
    entry = catalog_line(request, "desk.close_ticket")
    assert (entry["access"], entry["risk"], entry["system_label"]) == ("write", "high", "Help desk")
    assert entry["input_schema"]["properties"].keys() == {"ticket_id", "note"}
    assert sorted(entry["input_schema"]["required"]) == ["note", "ticket_id"]
    assert "a tool of the Help desk MCP server" in entry["description"]

    # Waiting: the approval is in Rachel's DM (Dana's manager), and the desk was not asked.
    [post] = approval_posts(story, run_id, "close")
    [opened] = story.standin.calls_to("conversations.open")
    assert opened.args["users"] == RACHEL and post.channel.startswith("D")
    assert {APPROVE_ALL, REJECT} <= {b["action_id"] for b in buttons(post)}
    assert headline(post) == "Approve close ticket T-1001 on the help desk for Dana Reyes"
    text = shown(post)
    assert "High-risk actions need a manager's approval" in text
    assert f"desk.close_ticket (ticket_id: T-1001, note: {NOTE})" in text
    assert any("waiting for Rachel Kim's approval" in m.text for m in story.notes(thread))
    assert desk_calls(calls_log) == []

    # Approved, clicked twice, and the mention delivered again: one call to the desk.
    assert (await story.slack.send(story.click(post, APPROVE_ALL, RACHEL))).status == 200
    detail = await finished(story, run_id)
    assert (await story.slack.send(story.click(post, APPROVE_ALL, RACHEL))).status == 200
    assert (await story.slack.send(event, retry_num=1)).status == 200
    await story.standin.wait_for(lambda _: len(story.told(RACHEL)) >= 1, RUN_TIMEOUT_S)
    assert story.told(RACHEL) == ["Already approved by Rachel Kim at 14:00 UTC."]
    [call] = desk_calls(calls_log)
    assert call == {
        "tool": "close_ticket",
        "arguments": {"ticket_id": "T-1001", "note": NOTE},
        "idempotency_key": f"{run_id}:close",
    }
    assert len(model.bodies) == 1

    # Dana's thread has the result; the audit has the rule, the approval and the call.
    assert "Done. Close ticket T-1001 on the help desk: 1 of 1 done, approved by Rachel Kim" in (
        " ".join(m.text for m in story.notes(thread))
    )
    [policy] = of_kind(detail.events, "policy")
    assert (policy["operation"], policy["rule"], policy["required"]) == (
        "desk.close_ticket", "unmatched-high-risk", True
    )  # fmt: skip
    outcomes = [(a["outcome"], a["by"]) for a in of_kind(detail.events, "approval")]
    assert outcomes == [("requested", DANA_EMAIL), ("approved", RACHEL_EMAIL)]
    [action] = of_kind(detail.events, "action")
    assert (action["operation"], action["outcome"], action["idempotency_key"]) == (
        "desk.close_ticket", "done", f"{run_id}:close"
    )  # fmt: skip
    assert await ticket_status(story, "T-1001") == "closed"


async def test_a_rejected_close_never_reaches_the_desk_and_the_thread_says_so(
    story: Story, model: MessagesStandIn, calls_log: Path
) -> None:
    model.script(tool_use("submit_plan", {"plan": close_plan().model_dump(mode="json")}))
    event = payloads.app_mention(CLOSE, user=DANA, channel=CHANNEL, event_id="Ev0MCPNO")
    run_id, thread = await ask(story, event, "close")
    [post] = approval_posts(story, run_id, "close")

    modal = await story.opened_form(post, REJECT, RACHEL)
    values = typed(modal, {"reason": "The customer says SSO still loops."})
    await story.slack.send(payloads.view_submission(modal, values, user_id=RACHEL))
    detail = await finished(story, run_id)

    assert desk_calls(calls_log) == []
    assert of_kind(detail.events, "action") == []
    said = " ".join(m.text for m in story.notes(thread))
    assert "Rachel Kim rejected close ticket T-1001 on the help desk" in said
    assert "Nothing was done. Close ticket T-1001 on the help desk: Rejected by Rachel Kim: " in (
        said
    )
    assert "The customer says SSO still loops." in said
    [copy] = approval_posts(story, run_id, "close")
    assert buttons(copy) == [] and "Rejected by Rachel Kim" in shown(copy)
    assert await ticket_status(story, "T-1001") == "open"


# ---------------------------------------------------------------- an untrusted server


async def test_an_untrusted_servers_read_waits_for_approval_too(
    tmp_path: Path, model: MessagesStandIn, calls_log: Path
) -> None:
    find = Step(id="tickets", operation="desk.find_tickets", args={"account": "Acme"},
                title="Find Acme's tickets on the help desk")  # fmt: skip
    plan = Plan(workflow="answer", subject="Acme's tickets", steps=(find,))
    model.script(tool_use("submit_plan", {"plan": plan.model_dump(mode="json")}))
    settings = settings_for(tmp_path, model, calls_log, trusted=False)
    async with start_story(settings, ManualClock(START)) as story:
        event = payloads.app_mention(
            "which tickets does Acme have open on the help desk?", user=DANA, channel=CHANNEL,
            event_id="Ev0MCPREAD",
        )  # fmt: skip
        run_id, _ = await ask(story, event, "tickets")

        entry = catalog_line(model.bodies[0], "desk.find_tickets")
        assert (entry["access"], entry["risk"]) == ("write", "high")
        [post] = approval_posts(story, run_id, "tickets")
        assert post.channel.startswith("D") and "desk.find_tickets (account: Acme)" in shown(post)
        assert desk_calls(calls_log) == []

        await story.slack.send(story.click(post, APPROVE_ALL, RACHEL))
        detail = await finished(story, run_id)
    [policy] = of_kind(detail.events, "policy")
    assert (policy["rule"], policy["required"]) == ("unmatched-high-risk", True)
    assert [c["tool"] for c in desk_calls(calls_log)] == ["find_tickets"]


# ---------------------------------------------------------------- without a model


async def test_the_offline_planner_does_not_plan_a_tool_it_was_not_built_for(
    tmp_path: Path, calls_log: Path
) -> None:
    table = tomllib.loads(desk_table(calls_log, trusted=True))
    settings = Settings(state_dir=tmp_path / "state", scheduler=False,
                        connectors=table["connectors"])  # fmt: skip
    async with start_story(settings, ManualClock(START)) as story:
        assert "desk.close_ticket" in story.slack.services.catalog
        event = payloads.app_mention(CLOSE, user=DANA, channel=CHANNEL, event_id="Ev0MCPOFF")
        await story.slack.send(event)
        detail = await finished(story, "slack-Ev0MCPOFF")
    [answer] = of_kind(detail.events, "answer")
    assert answer["title"] == "I can't do that yet"
    assert of_kind(detail.events, "policy") == [] and desk_calls(calls_log) == []


# ---------------------------------------------------------------- helpers


async def ask(story: Story, event: payloads.Payload, step_id: str) -> tuple[str, str]:
    """Dana's mention delivered; (run id, thread ts) once the run waits for approval."""
    mention = json.loads(event.body)
    run_id, thread = f"slack-{mention['event_id']}", str(mention["event"]["ts"])
    assert (await story.slack.send(event)).status == 200
    await story.standin.wait_for(lambda _: bool(approval_posts(story, run_id, step_id)),
                                 RUN_TIMEOUT_S)  # fmt: skip
    await story.waiting(run_id, step_id)
    return run_id, thread


async def finished(story: Story, run_id: str) -> RunDetail:
    return await story.slack.finished(run_id, timeout=RUN_TIMEOUT_S)


def approval_posts(story: Story, run_id: str, step_id: str) -> list[PostedMessage]:
    """Every copy of the approval of ``run_id``'s step ``step_id``, oldest first."""
    wanted = approval_id(run_id, step_id)
    return [
        m
        for m in story.standin.messages()
        if m.metadata is not None
        and m.metadata.get("event_type") == APPROVAL_EVENT
        and m.metadata["event_payload"]["approval_id"] == wanted
    ]


def headline(post: PostedMessage) -> str:
    [header] = [b for b in post.blocks or [] if b.get("type") == "header"]
    return str(header["text"]["text"])


def desk_calls(log: Path) -> list[dict[str, Any]]:
    """What the help desk server says it was asked, oldest first."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def catalog_line(request: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The catalog entry of ``name`` in the system prompt the planner sent to the model."""
    for line in request["system"][1]["text"].splitlines():
        if line.startswith("{") and json.loads(line).get("name") == name:
            return dict(json.loads(line))
    raise AssertionError(f"{name} is not in the catalog the model was shown")


async def ticket_status(story: Story, ticket_id: str) -> str:
    """The ticket's status as the desk tells it now (a read through the bot's own catalog)."""
    find = story.slack.services.catalog.get("desk.find_tickets")
    ctx = CallContext(run_id="check", step_id="look", requester_email=DANA_EMAIL)
    found = await find.handler(find.input_model.model_validate({"account": "Acme"}), ctx)
    return next(str(t["status"]) for t in found.model_dump()["tickets"] if t["id"] == ticket_id)
