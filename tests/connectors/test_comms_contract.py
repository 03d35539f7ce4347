"""One contract for every implementation of the mailbox and calendar operations: the demo
world's and Google's (Gmail and Calendar against the Google stand-in, seeded from the same
world). A plan must not be able to tell which mailbox or calendar is connected."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from connectors.errors import RecordNotFound
from tests.connectors.demo_env import NOW
from tests.connectors.google_env import DANA, Comms, comms
from workflows.catalog import CallContext

IMPLEMENTATIONS = ["demo", "google"]
CTX = CallContext(run_id="run-7", step_id="follow-up", requester_email=DANA)


async def call(c: Comms, name: str, args: dict[str, Any], ctx: CallContext = CTX) -> Any:
    op = c.operations[name]
    output: BaseModel = await op.handler(op.input_model.model_validate(args), ctx)
    return output.model_dump(mode="json")


def acme(c: Comms) -> dict[str, Any]:
    resolution = c.directory.resolve_account("Acme")
    assert resolution.account is not None
    return resolution.account.model_dump(mode="json")


async def both(test: Any, tmp_path: Path) -> tuple[Any, Any]:
    """What ``test`` finds against the demo world and against Google, from one seed."""
    found = []
    for name in IMPLEMENTATIONS:
        async with comms(name, tmp_path / name) as c:
            found.append(await test(c))
    return found[0], found[1]


async def test_the_same_operations_with_the_same_contracts(tmp_path: Path) -> None:
    async def contracts(c: Comms) -> dict[str, Any]:
        return {n: (op.describe(), op.access, op.risk.value, op.undo, op.reversible,
                    op.editable) for n, op in c.operations.items()}  # fmt: skip

    demo, google = await both(contracts, tmp_path)
    assert google == demo
    assert {"email.recent_threads", "email.send", "calendar.meetings_between",
            "calendar.create_hold"} <= set(google)  # fmt: skip


async def test_a_customers_recent_threads_are_the_same(tmp_path: Path) -> None:
    async def threads(c: Comms) -> Any:
        return [await call(c, "email.recent_threads", {"account": acme(c), "limit": n})
                for n in (1, 5, 50)]  # fmt: skip

    demo, google = await both(threads, tmp_path)
    assert demo[2]["threads"], "Acme has threads"
    assert google == demo


async def test_threads_with_people_are_the_same(tmp_path: Path) -> None:
    async def threads(c: Comms) -> Any:
        everyone = await call(c, "email.recent_threads", {"account": acme(c), "limit": 50})
        people = sorted({p for t in everyone["threads"] for p in t["participants"]})
        return await call(c, "email.threads_with", {"emails": people, "per_person": 1})

    demo, google = await both(threads, tmp_path)
    assert demo["threads"]
    assert google == demo


async def test_meetings_in_a_window_and_upcoming_are_the_same(tmp_path: Path) -> None:
    async def meetings(c: Comms) -> Any:
        window = {"starts_from": (NOW - timedelta(days=2)).isoformat(),
                  "starts_before": (NOW + timedelta(days=5)).isoformat()}  # fmt: skip
        every = await call(c, "calendar.meetings_between", window)
        dana = await call(c, "calendar.meetings_between", window | {"attendee_email": DANA})
        soon = await call(c, "calendar.upcoming_meetings",
                          {"owner_email": DANA, "within_hours": 72})  # fmt: skip
        return every, dana, soon

    demo, google = await both(meetings, tmp_path)
    assert demo[0]["meetings"] and demo[2]["meetings"]
    assert google == demo


async def test_a_hold_is_made_once_shows_as_a_meeting_and_is_released(tmp_path: Path) -> None:
    async def hold(c: Comms) -> Any:
        starts = NOW + timedelta(days=1, hours=3)
        args = {"owner_email": DANA, "title": "Acme renewal prep",
                "starts_at": starts.isoformat(), "duration_minutes": 45,
                "attendees": ["jordan.lee@acme.example"]}  # fmt: skip
        first = await call(c, "calendar.create_hold", args)
        again = await call(c, "calendar.create_hold", args)
        window = {"starts_from": starts.isoformat(),
                  "starts_before": (starts + timedelta(minutes=1)).isoformat()}  # fmt: skip
        shown = await call(c, "calendar.meetings_between", window)
        held = [m for m in shown["meetings"] if m["id"] == first["hold_id"]]
        released = await call(
            c,
            "calendar.release_hold",
            first,
            CallContext(run_id="run-7", step_id="undo", requester_email=DANA),
        )
        after = await call(c, "calendar.meetings_between", window)
        gone = all(m["id"] != first["hold_id"] for m in after["meetings"])
        for found in (first, again, *held):
            found.pop("hold_id", None), found.pop("id", None)
        return first, again["duplicate"], held, released["undone"], gone

    demo, google = await both(hold, tmp_path)
    assert demo[1] is True and demo[3] is True and demo[4] is True and len(demo[2]) == 1
    assert google == demo


async def test_an_email_is_sent_once_per_key(tmp_path: Path) -> None:
    async def send(c: Comms) -> Any:
        args = {"to": "jordan.lee@acme.example", "subject": "Thanks for joining",
                "body": "Slides attached.", "account_id": acme(c)["account_id"]}  # fmt: skip
        first = await call(c, "email.send", args)
        again = await call(c, "email.send", args)
        other = await call(
            c, "email.send", args, CallContext(run_id="run-8", step_id="x", requester_email=DANA)
        )
        assert again["message_id"] == first["message_id"] != other["message_id"]
        for found in (first, again, other):
            found.pop("message_id")
        return first, again, other

    demo, google = await both(send, tmp_path)
    assert demo[1]["duplicate"] is True and demo[0]["duplicate"] is False
    assert google == demo


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
async def test_an_email_about_an_unknown_account_is_refused(name: str, tmp_path: Path) -> None:
    async with comms(name, tmp_path) as c:
        with pytest.raises(RecordNotFound):
            await call(c, "email.send", {"to": "a@b.example", "subject": "x", "body": "y",
                                         "account_id": "acct-nope"})  # fmt: skip
        if c.standin is not None:
            assert c.standin.sent == []
