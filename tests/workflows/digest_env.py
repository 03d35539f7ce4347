"""The meetings digest run end to end: the offline planner, the real engine on DBOS and a
SQLite audit, over the demo world at a clock the test sets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast
from uuid import uuid4

from bot.wiring import build_catalog
from connectors.demo import DemoBehaviour, open_demo_world
from connectors.identity import IdentityDirectory, build_directory
from workflows.answers import Briefing, Digest, Notice
from workflows.audit import AuditStore
from workflows.catalog import Catalog
from workflows.clock import ManualClock
from workflows.engine import Engine, OperationCaller, StepPolicy, bind
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url
from workflows.library import COMPOSERS, Composer
from workflows.library.digest import compose_digest, digest_operations
from workflows.models import Objective, Principal, ReplyTarget, RunRequest, TriggerKind
from workflows.planning import OfflinePlanner
from workflows.testing import CollectingReporter

DANA = "dana.reyes@northwind.example"
RACHEL = "rachel.kim@northwind.example"
BEN = "ben.carter@northwind.example"


@dataclass
class DigestEnv:
    engine: Engine
    clock: ManualClock
    directory: IdentityDirectory
    reporter: CollectingReporter
    audit: AuditStore

    def principal(self, email: str, tz: str | None = None) -> Principal:
        who = self.directory.find_employee(email)
        assert who is not None, email
        return Principal(email=who.email, name=who.name, roles=tuple(who.roles), tz=tz)

    async def ask(
        self,
        text: str,
        email: str = DANA,
        *,
        tz: str | None = None,
        trigger: TriggerKind = "cli",
        channel: str = "",
    ) -> Digest | Briefing | Notice:
        """Run ``text`` for ``email`` and return the answer the reporter was given."""
        run_id = f"digest-{uuid4().hex}"
        reply = ReplyTarget(kind="cli", channel=channel)
        objective = Objective(
            text=text,
            trigger=trigger,
            trigger_id=run_id,
            reply=reply,
            received_at=self.clock.now(),
        )
        request = RunRequest(
            run_id=run_id, objective=objective, principal=self.principal(email, tz)
        )
        handle = await self.engine.submit(request, audit_duplicates=False)
        assert handle.workflow is not None
        await handle.workflow.get_result()
        answers = [a for a in self.reporter.answers if a.run_id == run_id]
        assert len(answers) == 1, answers
        answer = answers[0]
        assert isinstance(answer, Digest | Briefing | Notice)
        return answer


def with_digest(catalog: Catalog, directory: IdentityDirectory) -> Catalog:
    """The product's catalog with the digest's own operation (once the wiring adds it, as
    it is)."""
    added = [op for op in digest_operations(directory) if op.name not in catalog]
    return Catalog.of([*catalog, *added], catalog.system_labels)


@asynccontextmanager
async def digest_env(
    state: Path,
    now: datetime,
    *,
    faults: str = "",
    timeout_s: float = 2.0,
    database_url: str | None = None,
) -> AsyncIterator[DigestEnv]:
    """The environment at ``now``; its audit and DBOS on ``database_url`` (PostgreSQL) when
    given, else on SQLite files in ``state``."""
    clock = ManualClock(now)
    world = await open_demo_world(state / "demo.sqlite", clock=clock)
    directory = await build_directory(world)
    behaviour = DemoBehaviour.parse("", faults)
    catalog = with_digest(build_catalog(world, directory, behaviour), directory)
    audit_url = database_url or f"sqlite+aiosqlite:///{state / 'audit.db'}"
    audit = await AuditStore.open(audit_url, clock=clock)
    reporter = CollectingReporter()
    # The digest's composer answers with a Digest, which Composer's return type gains with
    # the wiring; until then the mapping is built here.
    composers = {**COMPOSERS, "digest": cast(Composer, compose_digest)}
    engine = Engine(
        catalog=catalog,
        planner=OfflinePlanner(directory),
        audit=audit,
        reporters={"cli": reporter},
        caller=OperationCaller(
            StepPolicy(timeout_s=timeout_s, attempts=1, backoff_initial_s=0.01), clock=clock
        ),
        composers=composers,
    )
    bind(engine)
    system_url = system_database_url(audit_url, str(state / "dbos.sqlite"))
    launch(DurableSettings(system_database_url=system_url, executor_id="digest-test"))
    try:
        yield DigestEnv(engine, clock, directory, reporter, audit)
    finally:
        shutdown()
        await audit.close()
        await world.close()
