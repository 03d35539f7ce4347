"""With ``ANTHROPIC_API_KEY`` set, the bot plans with Claude and Claude writes the answer
(here: the Messages API stand-in at ``ANTHROPIC_BASE_URL``); without it, offline and from
templates. Through the composition root."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from bot.cli.audit import audit_show
from bot.settings import Settings
from bot.wiring import running
from workflows.answers import Briefing
from workflows.library.briefing import briefing_plan
from workflows.models import Principal, RunRequest
from workflows.planning.messages_standin import MessagesStandIn, answer_from_steps, tool_use
from workflows.testing import CollectingReporter

DANA = Principal(email="dana.reyes@northwind.example", name="Dana Reyes", roles=("ae",))


async def test_an_api_key_makes_claude_the_planner(
    tmp_path: Path, standin: MessagesStandIn
) -> None:
    plan = briefing_plan("Acme", account_id="acct-0001")
    standin.script(
        tool_use("submit_plan", {"plan": plan.model_dump(mode="json")}), answer_from_steps
    )
    settings = Settings(
        state_dir=tmp_path / "state",
        scheduler=False,
        anthropic_api_key=standin.api_key,
        anthropic_base_url=standin.url,
        model="claude-test",
    )
    async with running(settings, {"cli": CollectingReporter()}) as services:
        assert services.planner.name == "claude"
        request = RunRequest.direct("brief me on Acme", DANA, received_at=services.clock.now())
        answer = await services.engine.run(request)
    assert isinstance(answer, Briefing) and answer.account.name == "Acme Corporation"
    assert answer.synthesis is not None and answer.synthesis.model == "claude-test"
    assert len(standin.requests) == 2
    assert {body["model"] for body in standin.bodies} == {"claude-test"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # not capsys: DBOS keeps the stream it found
        assert await audit_show(settings, request.run_id, as_json=False) == 0
    shown = printed.getvalue()
    assert "planned by model: 1 model call (" in shown, shown
    # A model the price table does not know costs "unknown", never $0.
    assert "model      2 calls (planning 1, synthesis 1)" in shown
    assert "cost unknown" in shown and "$0" not in shown


async def test_without_a_key_the_planner_is_offline(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", scheduler=False)
    async with running(settings, {"cli": CollectingReporter()}) as services:
        assert services.planner.name == "offline" and services.model is None
