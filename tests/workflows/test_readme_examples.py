"""Every example the README and the help offer is understood: each plans a briefing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from connectors.demo import DEMO_SYSTEM_LABELS, DemoBehaviour, demo_operations, open_demo_world
from connectors.identity import IdentityDirectory, build_directory
from tests.readme import ask_examples, chat_examples
from workflows.catalog import Catalog
from workflows.clock import ManualClock
from workflows.models import Objective, ReplyTarget
from workflows.plan import Plan
from workflows.planning import OfflinePlanner
from workflows.planning.help import EXAMPLES
from workflows.planning.phrasing import clean_text

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[IdentityDirectory, Catalog]:
    path = tmp_path_factory.mktemp("readme") / "demo.sqlite"

    async def build() -> tuple[IdentityDirectory, Catalog]:
        demo = await open_demo_world(path, clock=ManualClock(NOW))
        directory = await build_directory(demo)
        ops = demo_operations(demo, directory, DemoBehaviour.parse("", ""))
        await demo.close()
        return directory, Catalog.of(ops, DEMO_SYSTEM_LABELS)

    return asyncio.run(build())


def test_the_readme_lists_examples() -> None:
    assert len(chat_examples()) >= 5 and len(ask_examples()) >= 2
    assert "@crosswire brief me on Acme before my 2pm" in chat_examples()


def test_the_help_offers_only_what_the_readme_shows() -> None:
    shown = " ".join(chat_examples())
    assert all(example in shown for example in EXAMPLES)


@pytest.mark.parametrize("example", sorted({*chat_examples(), *ask_examples(), *EXAMPLES}))
async def test_every_example_plans_a_briefing(
    world: tuple[IdentityDirectory, Catalog], example: str
) -> None:
    directory, catalog = world
    objective = Objective(
        text=clean_text(example),
        trigger="cli",
        trigger_id="t",
        reply=ReplyTarget(kind="cli"),
        received_at=NOW,
    )
    plan = await OfflinePlanner(directory).plan(objective, catalog)
    assert isinstance(plan, Plan), plan
    assert plan.workflow == "briefing"
