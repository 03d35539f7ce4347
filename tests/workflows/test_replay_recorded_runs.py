"""A recorded run replays under the current code: the same answer, no side effect again;
and a replay that diverged from its record fails with DBOS's own error.

DBOS re-executes a finished run from its checkpoints when it is forked past its last step
(``DBOS.fork_workflow``: every recorded step is copied to the fork, which runs the workflow
function again from the start under a new id, with the same input and run id). A briefing
is run to the end through the real app, the Slack stand-in counting what it is asked.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from dbos import DBOS, WorkflowHandleAsync

from bot.sandbox import payloads
from tests.harness import CHANNEL, DANA, SlackHarness
from workflows.answers import RunAnswer
from workflows.engine.execution import RunExecution
from workflows.engine.runner import REPLAY_DIVERGED
from workflows.models import RunRequest
from workflows.results import StepResult

RESULT_POLL_S = 0.02


async def run_a_briefing(slack: SlackHarness, event_id: str) -> str:
    """Ask for a briefing in a channel; the run id once it has finished."""
    mention = payloads.app_mention(
        "brief me on Acme", user=DANA, channel=CHANNEL, ts="1700.1", event_id=event_id
    )
    assert (await slack.send(mention)).status == 200
    run_id = f"slack-{event_id}"
    detail = await slack.finished(run_id)
    assert (detail.run.status, detail.run.answer_kind) == ("completed", "briefing"), detail.run
    return run_id


async def replay(run_id: str) -> WorkflowHandleAsync[dict[str, Any]]:
    """The run re-executed from all its checkpoints (a fork past its last step)."""
    steps = await DBOS.list_workflow_steps_async(run_id)
    after_the_last = max(s["function_id"] for s in steps) + 1
    return await DBOS.fork_workflow_async(run_id, after_the_last)


def slack_calls(slack: SlackHarness) -> list[tuple[str, dict[str, Any]]]:
    return [(c.method, c.args) for c in slack.standin.calls]


async def test_a_recorded_briefing_replays_to_the_same_answer_and_repeats_nothing(
    slack: SlackHarness,
) -> None:
    run_id = await run_a_briefing(slack, "Ev0REPLAY")
    original: WorkflowHandleAsync[dict[str, Any]] = await DBOS.retrieve_workflow_async(run_id)
    recorded = await original.get_result()
    before = slack_calls(slack)
    assert any(method == "chat.postMessage" for method, _ in before)

    handle = await replay(run_id)
    answer = await handle.get_result(polling_interval_sec=RESULT_POLL_S)
    replayed = await DBOS.list_workflow_steps_async(handle.workflow_id)

    assert answer == recorded
    assert slack_calls(slack) == before, "the replay asked Slack something"
    steps = await DBOS.list_workflow_steps_async(run_id)
    assert [s["function_name"] for s in replayed] == [s["function_name"] for s in steps]
    assert (await handle.get_status()).status == "SUCCESS"


@dataclasses.dataclass(frozen=True)
class DeliveredAsAnswer(RunExecution):
    """The run as another deploy ran it: its delivery step was called ``answer``."""

    async def _deliver(
        self,
        request: RunRequest,
        handle: str | None,
        answer: RunAnswer,
        steps: list[StepResult] | None = None,
    ) -> None:
        await DBOS.run_step_async(
            {"name": "answer"}, self._show_and_record, request, handle, answer, steps
        )


async def test_a_replay_that_diverged_from_its_record_fails_with_dbos_error(
    slack: SlackHarness,
) -> None:
    engine = slack.services.engine
    current = engine.execution
    engine.execution = DeliveredAsAnswer(
        **{f.name: getattr(current, f.name) for f in dataclasses.fields(current)}
    )
    try:
        run_id = await run_a_briefing(slack, "Ev0OLDDEPLOY")
    finally:
        engine.execution = current
    recorded = {s["function_name"] for s in await DBOS.list_workflow_steps_async(run_id)}
    assert "answer" in recorded and "deliver" not in recorded
    before = slack_calls(slack)

    handle = await replay(run_id)
    with pytest.raises(REPLAY_DIVERGED) as diverged:
        await handle.get_result(polling_interval_sec=RESULT_POLL_S)

    assert "answer" in str(diverged.value) and "deliver" in str(diverged.value)
    assert (await handle.get_status()).status == "ERROR"
    replayed = {
        s["function_name"] for s in await DBOS.list_workflow_steps_async(handle.workflow_id)
    }
    assert "fail" not in replayed, "a diverged replay was turned into a polite notice"
    assert slack_calls(slack) == before, "the diverged replay told the requester something"
