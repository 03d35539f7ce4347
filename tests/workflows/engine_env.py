"""An engine on real DBOS and a real SQLite audit, over in-process test systems."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

from tests.workflows.systems import System
from workflows.answers import Briefing, Notice
from workflows.audit import AuditStore
from workflows.catalog import Catalog
from workflows.clock import Clock, SystemClock
from workflows.engine import CircuitBreakers, Engine, OperationCaller, StepPolicy, bind
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url
from workflows.library import ComposeInput
from workflows.models import Principal, RunRequest
from workflows.plan import Plan
from workflows.planning import ScriptedPlanner
from workflows.testing import CollectingReporter

_ids = itertools.count()


def outcome_notice(data: ComposeInput) -> Notice:
    """A composer that reports each step's status and output, for assertions."""
    summary = {
        k: {
            "status": r.status,
            "output": r.output,
            "failure": r.failure,
            "attempts": r.attempts,
            "error": r.error,
        }
        for k, r in data.results.items()
    }
    return Notice(run_id=data.run_id, reason="help", title="outcome", text=json.dumps(summary))


@dataclass
class EngineEnv:
    engine: Engine
    audit: AuditStore
    planner: ScriptedPlanner
    reporter: CollectingReporter
    systems: Mapping[str, System]
    clock: Clock = field(default_factory=SystemClock)

    def request(self, text: str, run_id: str | None = None) -> RunRequest:
        dana = Principal(email="dana.reyes@northwind.example", name="Dana")
        run_id = run_id or f"test-{next(_ids)}-{uuid4().hex}"
        return RunRequest.direct(text, dana, received_at=self.clock.now(), run_id=run_id)

    async def run(self, plan: Plan) -> dict[str, dict[str, object]]:
        text = f"plan-{next(_ids)}"
        self.planner._script[text] = plan
        answer = await self.engine.run(self.request(text))
        return outcome(answer)


def outcome(answer: Briefing | Notice) -> dict[str, dict[str, object]]:
    assert isinstance(answer, Notice) and answer.title == "outcome", answer
    result: dict[str, dict[str, object]] = json.loads(answer.text)
    return result


@asynccontextmanager
async def engine_env(
    state: Path,
    *systems: System,
    policy: StepPolicy | None = None,
    breakers: CircuitBreakers | None = None,
    executor_id: str = "local",
    database_url: str | None = None,
) -> AsyncIterator[EngineEnv]:
    catalog = Catalog.of([op for s in systems for op in s.operations()])
    audit_url = database_url or f"sqlite+aiosqlite:///{state / 'audit.db'}"
    audit = await AuditStore.open(audit_url)
    planner = ScriptedPlanner({})
    reporter = CollectingReporter()
    engine = Engine(
        catalog=catalog,
        planner=planner,
        audit=audit,
        reporters={"cli": reporter},
        caller=OperationCaller(
            policy or StepPolicy(timeout_s=1.0, backoff_initial_s=0.01),
            breakers or CircuitBreakers(),
        ),
        composers={"test": outcome_notice},
    )
    bind(engine)
    system_url = system_database_url(audit_url, str(state / "dbos.sqlite"))
    launch(DurableSettings(system_database_url=system_url, executor_id=executor_id))
    try:
        yield EngineEnv(engine, audit, planner, reporter, {s.name: s for s in systems})
    finally:
        shutdown()
        await audit.close()
