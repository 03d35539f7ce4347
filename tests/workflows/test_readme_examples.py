"""Every example the README and the help offer is understood: each plans a briefing."""

from __future__ import annotations

import pytest

from connectors.identity import IdentityDirectory
from tests.readme import action_examples, ask_examples, chat_examples
from tests.workflows.conftest import DEMO_NOW
from workflows.answers import Notice
from workflows.catalog import Catalog
from workflows.models import Objective, Principal, ReplyTarget
from workflows.plan import Plan
from workflows.planning import OfflinePlanner
from workflows.planning.help import EXAMPLES
from workflows.planning.phrasing import clean_text


def test_the_readme_lists_examples() -> None:
    assert len(chat_examples()) >= 5 and len(ask_examples()) >= 2
    assert len(action_examples()) == 1
    assert "@crosswire brief me on Acme before my 2pm" in chat_examples()


def test_the_help_offers_only_what_the_readme_shows() -> None:
    shown = " ".join(chat_examples())
    assert all(example in shown for example in EXAMPLES)


@pytest.mark.parametrize("example", sorted({*chat_examples(), *ask_examples(), *EXAMPLES}))
async def test_every_example_plans_a_briefing(
    world: tuple[IdentityDirectory, Catalog], example: str
) -> None:
    directory, catalog = world
    plan = await OfflinePlanner(directory).plan(_objective(example), catalog)
    assert isinstance(plan, Plan), plan
    assert plan.workflow == "briefing"


@pytest.mark.parametrize("example", action_examples())
async def test_the_action_example_plans_the_follow_up_for_who_asks(
    world: tuple[IdentityDirectory, Catalog], example: str
) -> None:
    directory, catalog = world
    dana = directory.find_employee("dana.reyes@northwind.example")
    assert dana is not None
    objective = _objective(example)
    requester = Principal(email=dana.email, name=dana.name, roles=tuple(dana.roles))
    plan = await OfflinePlanner(directory).plan(objective, catalog, requester)
    assert isinstance(plan, Plan), plan
    assert plan.workflow == "follow_up"
    assert catalog.get(plan.step("send").operation).access == "write"
    unplanned = await OfflinePlanner(directory).plan(objective, catalog)
    assert isinstance(unplanned, Notice) and unplanned.reason == "not_allowed"


def _objective(example: str) -> Objective:
    return Objective(
        text=clean_text(example),
        trigger="cli",
        trigger_id="t",
        reply=ReplyTarget(kind="cli"),
        received_at=DEMO_NOW,
    )
