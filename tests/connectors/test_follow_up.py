"""The webinar follow-up over the real demo world, through the durable engine up to the drafts;
and the drafts' content, which must follow what was found about each prospect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.demo import DEMO_SYSTEM_LABELS, DemoBehaviour, demo_operations, open_demo_world
from connectors.identity import build_directory
from tests.workflows.engine_env import engine_env
from tests.workflows.systems import System
from workflows.catalog import AnyOperation, Catalog
from workflows.clock import ManualClock
from workflows.domain import ContactActivity, ContactProfile, EmailThread, WebinarAttendance
from workflows.library.follow_up import (
    SYSTEM_LABELS,
    FollowUpDraft,
    FollowUpInput,
    draft_follow_up,
    follow_up_operations,
    follow_up_plan,
)
from workflows.plan import Plan, validate_plan

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"
BOOKED = {
    "marco.bianchi@tamarack.io",
    "rahul.mehta@solsticebio.com",
    "jonas.weber@wavecrest.studio",
}


@dataclass
class Catalogued(System):
    """The demo world's operations as one system of the engine harness."""

    ops: list[AnyOperation] = field(default_factory=list)

    def operations(self) -> list[AnyOperation]:
        return self.ops


@pytest.fixture
async def demo_ops(tmp_path: Path) -> AsyncIterator[list[AnyOperation]]:
    world = await open_demo_world(tmp_path / "demo.sqlite", clock=ManualClock(NOW))
    directory = await build_directory(world)
    yield [*demo_operations(world, directory, DemoBehaviour()), *follow_up_operations()]
    await world.close()


def test_the_plan_fits_the_catalog(demo_ops: list[AnyOperation]) -> None:
    catalog = Catalog.of(demo_ops, DEMO_SYSTEM_LABELS | SYSTEM_LABELS)
    plan = follow_up_plan(DANA)
    validate_plan(plan, catalog)
    steps = {s.id: s for s in plan.steps}
    assert plan.workflow == "follow_up"
    assert (steps["send"].operation, steps["send"].for_each) == ("email.send", "drafts")
    assert (steps["log"].operation, steps["log"].for_each) == ("crm.log_activity", "send")
    systems = [catalog.get(s.operation).system for s in plan.steps[:6]]
    assert systems == ["marketing", "scheduling", "crm", "crm", "email", "drafts"]
    assert catalog.label("drafts") == "Drafts"


async def test_the_engine_drafts_one_email_per_prospect_without_a_demo(
    tmp_path: Path, demo_ops: list[AnyOperation]
) -> None:
    full = follow_up_plan(DANA)
    upto_drafts = Plan(workflow="test", subject=full.subject, steps=full.steps[:6])
    async with engine_env(tmp_path, Catalogued("demo", ops=demo_ops)) as env:
        result = await env.run(upto_drafts)
    assert {r["status"] for r in result.values()} == {"ok"}, result
    drafts = [FollowUpDraft.model_validate(d) for d in _list(result["drafts"]["output"])]
    prospects = _dict(result["prospects"]["output"])["emails"]
    assert [d.to for d in drafts] == prospects
    assert len(drafts) >= 7
    assert not BOOKED & {d.to for d in drafts}
    assert {d.company for d in drafts} == {
        "Tamarack Systems",
        "Solstice Biolabs",
        "Wavecrest Studios",
    }
    # Written from what was found: different subjects, openings after the greeting, reasons.
    assert len({d.subject for d in drafts}) == len(drafts)
    assert len({_middle(d.body) for d in drafts}) == len(drafts)
    assert {"budget", "security", "timing", "question", "no_reply"} <= {d.reason for d in drafts}
    by = {d.to: d for d in drafts}
    kwame = by["kwame.mensah@tamarack.io"]
    assert "Q1" in kwame.subject and "budget" in kwame.body and "budget" in kwame.why.lower()
    sophie = by["sophie.laurent@tamarack.io"]
    assert "Zendesk" in sophie.body and sophie.subject == "Re: Question: Zendesk integration"
    assert "SOC 2" in by["hannah.fischer@solsticebio.com"].body
    for d in drafts:
        assert d.body.startswith(f"Hi {d.name.split()[0]},") and d.body.endswith("Dana")
        assert "Scaling Customer Ops with AI" in d.body and d.account_id.startswith("acct-")
        assert d.why and d.summary.startswith(f"Email {d.name}")


def _prospect(title: str = "VP of Engineering") -> ContactProfile:
    return ContactProfile(
        name="Ada Byrne",
        email="ada.byrne@example.com",
        title=title,
        account_id="acct-0100",
        company="Example Ltd",
        lifecycle_stage="prospect",
        owner_email=DANA,
        owner_name="Dana Reyes",
    )


ATTENDED = WebinarAttendance(
    webinar="Scaling Customer Ops with AI", email="ADA.BYRNE@example.com", attended_at=NOW
)


def _thread(snippet: str, *, theirs: bool = True, subject: str = "Hello") -> EmailThread:
    return EmailThread(
        id="t1",
        subject=subject,
        participants=[DANA, "ada.byrne@example.com"],
        message_count=2,
        last_from="ada.byrne@example.com" if theirs else DANA,
        last_at=NOW,
        snippet=snippet,
    )


def _note(summary: str, email: str = "ada.byrne@example.com") -> ContactActivity:
    return ContactActivity(
        contact_email=email, account_id="acct-0100", at=NOW, kind="note", summary=summary, by="D"
    )


def test_a_draft_follows_the_activity_and_mail_of_its_prospect() -> None:
    base = FollowUpInput(prospect=_prospect(), attendance=[ATTENDED])
    fresh = draft_follow_up(base)
    budget = draft_follow_up(base.model_copy(update={"activities": [_note("Budget frozen to Q1")]}))
    asked = draft_follow_up(
        base.model_copy(update={"threads": [_thread("Do you support SAML single sign-on?")]})
    )
    silent = draft_follow_up(
        base.model_copy(update={"threads": [_thread("Would a demo work?", theirs=False)]})
    )
    someone_else = draft_follow_up(
        base.model_copy(update={"activities": [_note("Budget frozen", email="x@example.com")]})
    )
    assert [d.reason for d in (fresh, budget, asked, silent, someone_else)] == [
        "fresh", "budget", "question", "no_reply", "fresh",
    ]  # fmt: skip
    assert "SAML single sign-on" in asked.body and asked.subject == "Re: Hello"
    assert len({d.body for d in (fresh, budget, asked, silent)}) == 4
    assert "API and integrations" in fresh.body
    finance = draft_follow_up(base.model_copy(update={"prospect": _prospect("Finance Director")}))
    assert "costs" in finance.body and "API" not in finance.body


def test_a_prospect_missing_from_the_attendance_still_gets_a_polite_draft() -> None:
    draft = draft_follow_up(FollowUpInput(prospect=_prospect()))
    assert "Thank you for your interest" in draft.body and draft.to == "ada.byrne@example.com"


def _middle(body: str) -> str:
    return body.split("\n\n")[1].split(". ", 1)[1]


def _list(value: Any) -> list[Any]:
    assert isinstance(value, list)
    return value


def _dict(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value
