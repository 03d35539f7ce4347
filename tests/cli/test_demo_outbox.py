"""``crosswire demo outbox`` as a user runs it: what the demo mailbox sent, newest last; JSON
for machines; a fresh machine's empty outbox said plainly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.demo import DemoBehaviour, demo_operations, open_demo_world
from connectors.identity import build_directory
from tests.cli.processes import crosswire
from workflows.catalog import CallContext, Catalog
from workflows.clock import ManualClock

START = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"
UTC_ZONE = {"TZ": "UTC"}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    return tmp_path / "state"


async def send(state: Path, *emails: tuple[str, str, str]) -> None:
    """Send ``(to, subject, body)`` emails through the demo mailbox, a minute apart, as items
    of one fan-out step of run ``run-7``; the first one twice."""
    clock = ManualClock(START)
    world = await open_demo_world(state / "demo.sqlite", clock=clock)
    try:
        catalog = Catalog.of(demo_operations(world, await build_directory(world), DemoBehaviour()))
        op = catalog.get("email.send")
        for i, (to, subject, body) in enumerate(emails):
            ctx = CallContext("run-7", "send", DANA, item=i)
            inp = op.input_model(to=to, subject=subject, body=body, account_id="acct-0049")
            for _ in range(2 if i == 0 else 1):
                await op.handler(inp, ctx)
            clock.advance(timedelta(minutes=1))
    finally:
        await world.close()


def test_a_fresh_machine_has_sent_nothing(state: Path) -> None:
    done = crosswire(state, "demo", "outbox")
    assert done.returncode == 0, done.stderr
    assert "has not sent anything yet" in done.stdout
    assert not (state / "demo.sqlite").exists()
    as_json = crosswire(state, "demo", "outbox", "--json")
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, [])


async def test_the_outbox_lists_each_email_once_newest_last(state: Path) -> None:
    await send(
        state,
        ("elena.vasquez@tamarack.io", "Re: Slides", "Hi Elena,\n\nHere are the slides."),
        ("kwame.mensah@tamarack.io", "Planning for Q1", "Hi Kwame,\n\nNo rush on budget."),
    )
    done = crosswire(state, "demo", "outbox", env=UTC_ZONE)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["SENT", "TO", "SUBJECT"]
    assert "elena.vasquez@tamarack.io" in lines[1] and "run-7:send:0" in lines[1]
    assert "2026-11-21 09:30:00 UTC" in lines[1] and "Hi Elena, Here are the slides." in lines[1]
    assert "kwame.mensah@tamarack.io" in lines[2] and "run-7:send:1" in lines[2]
    assert "2 messages" in done.stdout

    messages = json.loads(crosswire(state, "demo", "outbox", "--json").stdout)
    assert [m["to"] for m in messages] == ["elena.vasquez@tamarack.io", "kwame.mensah@tamarack.io"]
    first = messages[0]
    assert first["body"] == "Hi Elena,\n\nHere are the slides."
    assert (first["run_id"], first["idempotency_key"]) == ("run-7", "run-7:send:0")
    assert first["sent_at"] == "2026-11-21T09:30:00Z"
    assert set(first) >= {"to", "subject", "body", "idempotency_key", "run_id", "sent_at"}
