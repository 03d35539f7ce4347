"""With ``ANTHROPIC_API_KEY`` set, the bot plans with Claude (here: the Messages API stand-in
at ``ANTHROPIC_BASE_URL``); without it, offline. Through the composition root."""

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
from workflows.planning.messages_standin import MessagesStandIn, tool_use
from workflows.testing import CollectingReporter

DANA = Principal(email="dana.reyes@northwind.example", name="Dana Reyes", roles=("ae",))


async def test_an_api_key_makes_claude_the_planner(
    tmp_path: Path, standin: MessagesStandIn
) -> None:
    plan = briefing_plan("Acme", account_id="acct-0001")
    standin.script(tool_use("submit_plan", {"plan": plan.model_dump(mode="json")}))
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
    assert len(standin.requests) == 1 and standin.bodies[0]["model"] == "claude-test"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # not capsys: DBOS keeps the stream it found
        assert await audit_show(settings, request.run_id, as_json=False) == 0
    shown = printed.getvalue()
    assert "planned by model: 1 model calls (" in shown, shown


async def test_without_a_key_the_planner_is_offline(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", scheduler=False)
    async with running(settings, {"cli": CollectingReporter()}) as services:
        assert services.planner.name == "offline" and services.model is None
