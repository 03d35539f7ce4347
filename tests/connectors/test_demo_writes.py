"""The demo systems' writes: once per idempotency key, kept across the daily rebuild, undone
by their compensations, refused clearly, and broken by injected faults like reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.demo import DemoBehaviour, DemoWorld, demo_operations, open_demo_world
from connectors.demo.writes import read_outbox
from connectors.errors import RecordNotFound, SystemUnavailable
from connectors.identity import IdentityDirectory, build_directory
from workflows.catalog import CallContext, Catalog
from workflows.clock import ManualClock
from workflows.domain import AccountRef
from workflows.errors import PermanentOperationError

NOW = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"
ELENA = "elena.vasquez@tamarack.io"
TAMARACK = "acct-0049"


@dataclass
class Demo:
    world: DemoWorld
    directory: IdentityDirectory
    clock: ManualClock
    catalog: Catalog

    async def call(self, name: str, ctx: CallContext, **args: Any) -> Any:
        op = self.catalog.get(name)
        return await op.handler(op.input_model.model_validate(args), ctx)

    def account(self, account_id: str) -> AccountRef:
        found = self.directory.account(account_id)
        assert found is not None
        return found


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    clock = ManualClock(NOW)
    world = await open_demo_world(tmp_path / "demo.db", clock=clock)
    directory = await build_directory(world)
    catalog = Catalog.of(demo_operations(world, directory, DemoBehaviour()))
    yield Demo(world, directory, clock, catalog)
    await world.close()


def ctx(step: str = "send", item: int | None = None, run: str = "run-1") -> CallContext:
    return CallContext(run_id=run, step_id=step, requester_email=DANA, item=item)


EMAIL = {"to": ELENA, "subject": "Slides", "body": "Here they are.", "account_id": TAMARACK}


# ---------------------------------------------------------------- email


async def test_the_same_key_twice_sends_one_email(demo: Demo) -> None:
    first = await demo.call("email.send", ctx(item=0), **EMAIL)
    again = await demo.call("email.send", ctx(item=0), **EMAIL | {"body": "Changed"})
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.model_copy(update={"duplicate": False}) == first
    [sent] = await read_outbox(demo.world.path)
    assert (sent.to, sent.subject, sent.body) == (ELENA, "Slides", "Here they are.")
    assert (sent.idempotency_key, sent.run_id) == ("run-1:send:0", "run-1")
    assert sent.sent_at == NOW == first.sent_at
    assert sent.message_id == first.message_id


async def test_the_same_key_at_the_same_time_sends_one_email(demo: Demo) -> None:
    sends = [demo.call("email.send", ctx(item=0), **EMAIL) for _ in range(5)]
    results = await asyncio.gather(*sends)
    assert sorted(r.duplicate for r in results) == [False, True, True, True, True]
    assert len(await read_outbox(demo.world.path)) == 1


async def test_each_item_of_a_fan_out_is_its_own_email(demo: Demo) -> None:
    for item in range(3):
        demo.clock.advance(timedelta(seconds=1))
        await demo.call("email.send", ctx(item=item), **EMAIL | {"subject": f"Note {item}"})
    sent = await read_outbox(demo.world.path)
    assert [m.subject for m in sent] == ["Note 0", "Note 1", "Note 2"]  # newest last
    assert len({m.message_id for m in sent}) == 3


async def test_the_outbox_survives_the_daily_rebuild(demo: Demo) -> None:
    await demo.call("email.send", ctx(item=0), **EMAIL)
    demo.clock.advance(timedelta(days=1))
    await demo.call("crm.get_account", ctx("read"), account=demo.account(TAMARACK))  # rebuilds
    assert [m.idempotency_key for m in await read_outbox(demo.world.path)] == ["run-1:send:0"]
    again = await demo.call("email.send", ctx(item=0), **EMAIL)
    assert again.duplicate and len(await read_outbox(demo.world.path)) == 1


async def test_a_missing_file_has_an_empty_outbox(tmp_path: Path) -> None:
    assert await read_outbox(tmp_path / "never.db") == []
    assert not (tmp_path / "never.db").exists()


@pytest.mark.parametrize(
    "bad", [{"to": "not an address"}, {"subject": ""}, {"body": ""}, {"cc": "x@y.z"}]
)
def test_a_malformed_email_is_refused_before_sending(demo: Demo, bad: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        demo.catalog.get("email.send").input_model.model_validate(EMAIL | bad)


async def test_an_unknown_account_is_refused_and_nothing_is_sent(demo: Demo) -> None:
    with pytest.raises(RecordNotFound, match="no customer account 'acct-9999'"):
        await demo.call("email.send", ctx(item=0), **EMAIL | {"account_id": "acct-9999"})
    assert await read_outbox(demo.world.path) == []
    sent = await demo.call("email.send", ctx(item=0), **EMAIL)  # the key was not used up
    assert not sent.duplicate


async def test_a_fault_breaks_writes_like_reads(demo: Demo) -> None:
    broken = Catalog.of(
        demo_operations(demo.world, demo.directory, DemoBehaviour.parse("", "crm=error"))
    )
    op = broken.get("crm.log_activity")
    args = {"account_id": TAMARACK, "contact_email": ELENA, "kind": "note", "summary": "x"}
    with pytest.raises(SystemUnavailable, match="The CRM is not responding"):
        await op.handler(op.input_model.model_validate(args), ctx("log", 0))
    mail = broken.get("email.send")
    await mail.handler(mail.input_model.model_validate(EMAIL), ctx(item=0))
    assert len(await read_outbox(demo.world.path)) == 1


# ---------------------------------------------------------------- CRM


async def test_a_logged_activity_shows_in_the_crm_until_removed(demo: Demo) -> None:
    demo.clock.advance(timedelta(minutes=5))
    args = {"account_id": TAMARACK, "contact_email": ELENA, "kind": "email"}
    logged = await demo.call("crm.log_activity", ctx("log", 0), **args, summary="Sent slides")
    assert logged.at == NOW + timedelta(minutes=5)
    account = (await demo.call("crm.get_account", ctx("r"), account=demo.account(TAMARACK))).account
    assert account.last_activity.summary == "Sent slides"
    assert account.last_activity.by == "Dana Reyes"
    recent = await demo.call("crm.contact_activity", ctx("r"), emails=[ELENA.upper()])
    assert recent.activities[0].summary == "Sent slides"

    removed = await demo.call("crm.remove_activity", ctx("undo", 0), **logged.model_dump())
    assert (removed.of, removed.undone) == (logged.activity_id, True)
    repeat = await demo.call("crm.remove_activity", ctx("undo", 0), **logged.model_dump())
    assert repeat.duplicate and repeat.undone
    other = await demo.call("crm.remove_activity", ctx("undo2", 0), **logged.model_dump())
    assert not other.undone  # nothing left to remove
    recent = await demo.call("crm.contact_activity", ctx("r"), emails=[ELENA])
    assert "Sent slides" not in [a.summary for a in recent.activities]


async def test_logging_twice_with_one_key_logs_once(demo: Demo) -> None:
    args = {"account_id": TAMARACK, "contact_email": ELENA, "kind": "call", "summary": "Hi"}
    first = await demo.call("crm.log_activity", ctx("log", 0), **args)
    again = await demo.call("crm.log_activity", ctx("log", 0), **args)
    assert again.duplicate and again.activity_id == first.activity_id
    recent = await demo.call("crm.contact_activity", ctx("r"), emails=[ELENA])
    assert [a.summary for a in recent.activities].count("Hi") == 1


async def test_a_field_update_is_read_back_and_restored(demo: Demo) -> None:
    change = await demo.call(
        "crm.update_field", ctx("stage"), account_id=TAMARACK, field="lifecycle_stage",
        value="customer",
    )  # fmt: skip
    assert (change.previous, change.value) == ("prospect", "customer")
    read = await demo.call("crm.get_account", ctx("r"), account=demo.account(TAMARACK))
    assert read.account.lifecycle_stage == "customer"
    restored = await demo.call("crm.restore_field", ctx("undo"), **change.model_dump())
    assert restored.undone
    read = await demo.call("crm.get_account", ctx("r"), account=demo.account(TAMARACK))
    assert read.account.lifecycle_stage == "prospect"


async def test_a_stage_the_crm_does_not_know_is_refused(demo: Demo) -> None:
    with pytest.raises(PermanentOperationError, match="lifecycle_stage must be one of"):
        await demo.call(
            "crm.update_field", ctx("s"), account_id=TAMARACK, field="lifecycle_stage",
            value="friend",
        )  # fmt: skip


# ---------------------------------------------------------------- calendar, tasks, money


async def test_a_hold_is_on_the_calendar_until_released(demo: Demo) -> None:
    starts = NOW + timedelta(hours=3)
    hold = await demo.call(
        "calendar.create_hold", ctx("hold"), owner_email=DANA, title="Hold: Tamarack demo",
        starts_at=starts.isoformat(), duration_minutes=45, attendees=[ELENA],
    )  # fmt: skip
    assert hold.ends_at == starts + timedelta(minutes=45)
    upcoming = await demo.call("calendar.upcoming_meetings", ctx("r"), owner_email=DANA)
    held = [m for m in upcoming.meetings if m.id == hold.hold_id]
    assert held and held[0].attendees == [DANA, ELENA]
    assert (await demo.call("calendar.release_hold", ctx("undo"), **hold.model_dump())).undone
    upcoming = await demo.call("calendar.upcoming_meetings", ctx("r"), owner_email=DANA)
    assert hold.hold_id not in [m.id for m in upcoming.meetings]


async def test_tasks_discounts_and_amendments_act_once(demo: Demo) -> None:
    task = await demo.call(
        "tasks.create", ctx("task"), assignee_email=DANA, title="Call Kwame in January",
        account_id=TAMARACK,
    )  # fmt: skip
    assert (await demo.call("tasks.create", ctx("task"), **task.model_dump(
        include={"assignee_email", "title", "account_id"}))).duplicate  # fmt: skip
    assert (await demo.call("tasks.cancel", ctx("undo"), **task.model_dump())).undone
    discount = await demo.call(
        "billing.apply_discount", ctx("disc"), account_id="acct-0001", percent=10,
        reason="Outage credit",
    )  # fmt: skip
    assert discount.percent == 10
    assert (await demo.call("billing.remove_discount", ctx("undo"), **discount.model_dump())).undone
    amendment = await demo.call(
        "contracts.amend", ctx("amend"), account_id="acct-0001", change="Price cap 3%"
    )
    repeat = await demo.call(
        "contracts.amend", ctx("amend"), account_id="acct-0001", change="Price cap 3%"
    )
    assert repeat.duplicate and repeat.amendment_id == amendment.amendment_id


@pytest.mark.parametrize("percent", [0, -5, 51])
def test_a_discount_outside_its_range_is_refused(demo: Demo, percent: float) -> None:
    model = demo.catalog.get("billing.apply_discount").input_model
    with pytest.raises(ValidationError):
        model.model_validate({"account_id": "acct-0001", "percent": percent, "reason": "x"})
