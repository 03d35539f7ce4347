from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflows.answers import Notice
from workflows.catalog import Catalog
from workflows.models import Objective, ReplyTarget
from workflows.plan import Plan
from workflows.planning import OfflinePlanner
from workflows.planning.phrasing import briefing_subject, clean_text, is_briefing


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("brief me on Acme before my 2pm", "Acme"),
        ("<@U0CROSSWIRE> brief me on Acme before my meeting", "Acme"),
        ("prep me for my Acme call", "Acme"),
        ("what's going on with ACME?", "ACME"),
        ("brief acme.io", "acme.io"),
        ("brief <http://acme.io|acme.io>", "acme.io"),
        ("Can you give me a briefing on Acme Corporation for tomorrow's QBR?", "Acme Corporation"),
        ("catch me up on Globex Industries", "Globex Industries"),
        ("status of Acme's account", "Acme"),
        ("prep me for my 3:30pm with Initech", "Initech"),
    ],
)
def test_the_subject_is_what_remains(text: str, subject: str) -> None:
    assert is_briefing(clean_text(text))
    assert briefing_subject(text) == subject


@pytest.mark.parametrize("text", ["order me a pizza", "deploy the app", "thanks!"])
def test_other_requests_are_not_briefings(text: str) -> None:
    assert not is_briefing(text)


def _objective(text: str) -> Objective:
    return Objective(
        text=text,
        trigger="cli",
        trigger_id="t",
        reply=ReplyTarget(kind="cli"),
        received_at=datetime(2026, 11, 21, tzinfo=UTC),
    )


async def test_offline_planner_plans_a_briefing(demo_catalog: Catalog) -> None:
    plan = await OfflinePlanner().plan(_objective("prep me for my Acme call"), demo_catalog)
    assert isinstance(plan, Plan)
    assert plan.workflow == "briefing" and plan.subject == "Acme"
    assert [s.id for s in plan.steps] == [
        "account",
        "crm",
        "email",
        "support",
        "contracts",
        "usage",
        "billing",
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("help", "help"),
        ("", "help"),
        ("order me a pizza", "help"),
        ("brief me", "unknown_customer"),
    ],
)
async def test_offline_planner_says_what_it_can_do(
    demo_catalog: Catalog, text: str, reason: str
) -> None:
    notice = await OfflinePlanner().plan(_objective(text), demo_catalog)
    assert isinstance(notice, Notice)
    assert notice.reason == reason
    assert "brief me on Acme" in " ".join(notice.suggestions)


async def test_a_catalog_without_the_systems_gets_a_notice() -> None:
    notice = await OfflinePlanner().plan(_objective("brief me on Acme"), Catalog.of([]))
    assert isinstance(notice, Notice) and notice.reason == "failed"
