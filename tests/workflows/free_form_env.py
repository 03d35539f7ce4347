"""The real engine (DBOS, SQLite audit) over the demo world at a fixed moment, running plans
as a model would write them, with the library's composers: the free-form answer and the
briefing. Each run hands back the answer the requester was given and every step's result."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

from connectors.demo import DEMO_SYSTEM_LABELS, DemoBehaviour, demo_operations, open_demo_world
from connectors.identity import IdentityDirectory, build_directory
from workflows.answers import Briefing, FreeFormAnswer, Notice
from workflows.audit import AuditStore
from workflows.catalog import Catalog
from workflows.clock import ManualClock
from workflows.dataops import SYSTEM_LABELS, data_operations
from workflows.engine import Engine, OperationCaller, StepPolicy, bind
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url
from workflows.library import COMPOSERS, ComposeInput, Composer
from workflows.models import Principal, RunRequest
from workflows.plan import Plan
from workflows.planning import Planner, ScriptedPlanner
from workflows.results import StepResult
from workflows.testing import CollectingReporter

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"
LEAH = "leah.okafor@northwind.example"
PlannerFor = Callable[[IdentityDirectory], Planner]


@dataclass(frozen=True)
class Asked:
    """What one run gave: the answer the requester got, and each step's result."""

    answer: FreeFormAnswer | Briefing | Notice
    steps: dict[str, StepResult]

    @property
    def free_form(self) -> FreeFormAnswer:
        assert isinstance(self.answer, FreeFormAnswer), self.answer
        return self.answer


@dataclass
class FreeFormEnv:
    engine: Engine
    planner: Planner
    reporter: CollectingReporter
    directory: IdentityDirectory
    clock: ManualClock
    composed: list[ComposeInput] = field(default_factory=list)

    async def ask(self, plan: Plan, email: str = DANA, text: str = "a question") -> Asked:
        """Run ``plan`` as the plan for ``text``, asked by ``email``."""
        text = f"{text} ({uuid4().hex})"
        assert isinstance(self.planner, ScriptedPlanner)
        self.planner._script[text] = plan
        return await self.objective(text, email)

    async def objective(self, text: str, email: str = DANA) -> Asked:
        """Run ``text`` as ``email`` asked it, planned by the env's planner."""
        who = self.directory.find_employee(email)
        assert who is not None, email
        principal = Principal(email=who.email, name=who.name, roles=tuple(who.roles))
        request = RunRequest.direct(text, principal, received_at=self.clock.now())
        handle = await self.engine.submit(request, audit_duplicates=False)
        assert handle.workflow is not None
        await handle.workflow.get_result()
        [answer] = [a for a in self.reporter.answers if a.run_id == request.run_id]
        # A run the planner answered with a notice composed nothing and ran no step.
        composed = [d.results for d in self.composed if d.run_id == request.run_id]
        steps = dict(composed[0]) if composed else {}
        return Asked(cast(FreeFormAnswer | Briefing | Notice, answer), steps)


@asynccontextmanager
async def free_form_env(
    state: Path, *, faults: str = "", planner: PlannerFor | None = None
) -> AsyncIterator[FreeFormEnv]:
    """The env; ``planner`` makes the planner from the directory (scripted when None)."""
    clock = ManualClock(NOW)
    world = await open_demo_world(state / "demo.sqlite", clock=clock)
    directory = await build_directory(world)
    behaviour = DemoBehaviour.parse("", faults)
    catalog = Catalog.of(
        [*demo_operations(world, directory, behaviour), *data_operations()],
        {**DEMO_SYSTEM_LABELS, **SYSTEM_LABELS},
    )
    audit_url = f"sqlite+aiosqlite:///{state / 'audit.db'}"
    audit = await AuditStore.open(audit_url, clock=clock)
    chosen = planner(directory) if planner is not None else ScriptedPlanner({})
    reporter = CollectingReporter()
    composed: list[ComposeInput] = []

    def watched(composer: Composer) -> Composer:
        def compose(data: ComposeInput) -> Any:
            composed.append(data)
            return composer(data)

        return compose

    library = dict(COMPOSERS)
    engine = Engine(
        catalog=catalog,
        planner=chosen,
        audit=audit,
        reporters={"cli": reporter},
        caller=OperationCaller(StepPolicy(timeout_s=2.0, attempts=1), clock=clock),
        composers={name: watched(c) for name, c in library.items()},
    )
    bind(engine)
    system_url = system_database_url(audit_url, str(state / "dbos.sqlite"))
    launch(DurableSettings(system_database_url=system_url, executor_id="free-form-test"))
    try:
        yield FreeFormEnv(engine, chosen, reporter, directory, clock, composed)
    finally:
        shutdown()
        await audit.close()
        await world.close()
