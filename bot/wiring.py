"""The composition root: every service built from typed settings, in one place.

Nothing here runs at import time. :func:`running` builds the services, binds the engine,
launches DBOS inside the running event loop, and tears it all down again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import structlog
from dbos import DBOS
from sqlalchemy.exc import SQLAlchemyError

from bot.access import access_principals, checked_catalog, checked_planner
from bot.periodic import Periodic
from bot.reporters.terminal_approvals import TerminalApprovalNotifier
from bot.reporters.terminal_previews import TerminalPreviewNotifier
from bot.settings import Settings
from connectors.config import DemoConfig
from connectors.configured import ConnectedSystems, open_connectors
from connectors.demo import DEMO_SYSTEM_LABELS, DemoBehaviour, DemoWorld, demo_operations
from connectors.demo.audience import DemoAudience
from connectors.identity import IdentityDirectory, open_directory
from workflows.approvals.desk import ApprovalDesk
from workflows.approvals.policy import ApprovalPolicy
from workflows.approvals.store import ApprovalStore
from workflows.audit import AuditStore
from workflows.catalog import AnyOperation, Catalog
from workflows.clock import Clock, SystemClock
from workflows.dataops import SYSTEM_LABELS as DATA_LABELS
from workflows.dataops import data_operations
from workflows.engine import (
    Budget,
    CircuitBreakers,
    Engine,
    OperationCaller,
    RateBudgets,
    StepPolicy,
    bind,
    no_pacing,
)
from workflows.engine.boundary import ActionBoundary
from workflows.engine.durable import DurableSettings, launch, shutdown, system_database_url
from workflows.engine.preview import PreviewNotifier, Previews
from workflows.engine.replicas import ReplicaWatch
from workflows.engine.resilience import Sleep
from workflows.engine.waiting_room import WaitingRoom
from workflows.library import COMPOSERS, Composer, compose_briefing
from workflows.library.answer import WORKFLOW as ANSWER_WORKFLOW
from workflows.library.answer import compose_free_form
from workflows.library.answer_guide import answer_guide
from workflows.library.digest import digest_operations
from workflows.library.follow_up import SYSTEM_LABELS as FOLLOW_UP_LABELS
from workflows.library.follow_up import follow_up_operations
from workflows.library.precedence import Precedence
from workflows.planning import OfflinePlanner, Planner
from workflows.planning.claude import ClaudePlanner, ModelErrors
from workflows.planning.claude_prompt import builtin_guides
from workflows.planning.synthesis import ClaudeSynthesizer
from workflows.ports import ApprovalNotifier, CustomerFinder, People, RunReporter
from workflows.schedules import ScheduleStore

if TYPE_CHECKING:
    import anthropic

log = structlog.get_logger(__name__)
SWEEP_INTERVAL_S = 5.0
IDENTITY_REFRESH_S = 60.0
# Builds where approvals are shown, from who is who and the policy's words.
NotifierFactory = Callable[[People, ApprovalPolicy], ApprovalNotifier]
# Builds where plan previews are shown, from who is who.
PreviewerFactory = Callable[[People], PreviewNotifier]


@dataclass(frozen=True)
class Services:
    settings: Settings
    audit: AuditStore
    connected: ConnectedSystems
    directory: IdentityDirectory
    catalog: Catalog
    planner: Planner
    engine: Engine
    clock: Clock
    desk: ApprovalDesk
    schedules: ScheduleStore
    model: anthropic.AsyncAnthropic | None = None
    budgets: RateBudgets | None = None  # every system's rate budget, and its waits so far

    @property
    def world(self) -> DemoWorld:
        """The demo world (the identity layer and the recipient guard read it today)."""
        return self.connected.world

    async def aclose(self) -> None:
        if self.model is not None:
            await self.model.close()
        if self.engine.boundary is not None:
            await self.engine.boundary.room.close()
        await self.audit.close()
        await self.connected.aclose()


def model_client(settings: Settings) -> anthropic.AsyncAnthropic | None:
    """The Messages API client when ``ANTHROPIC_API_KEY`` is set (``ANTHROPIC_BASE_URL``
    points it elsewhere); None runs every objective through the offline planner."""
    if settings.anthropic_api_key is None:
        return None
    import anthropic  # only with a key: the SDK takes a second and a half to import

    return anthropic.AsyncAnthropic(
        api_key=settings.anthropic_api_key.get_secret_value(),
        base_url=settings.anthropic_base_url,
        max_retries=2,
    )


def select_planner(
    settings: Settings, finder: CustomerFinder, client: anthropic.AsyncAnthropic | None
) -> Planner:
    """Claude when there is a model client, planning the built-in workflows and free-form
    answers and writing their answers, with the offline planner (finding customers through
    ``finder``, the identity directory) as its fallback; else the offline planner."""
    if client is None:
        return OfflinePlanner(finder)
    import anthropic

    errors = ModelErrors(api=(anthropic.APIError,), timeout=(anthropic.APITimeoutError,))
    return ClaudePlanner(
        client,
        model=settings.model,
        errors=errors,
        finder=finder,
        fallback=OfflinePlanner(finder, model_configured=True),
        guides=(*builtin_guides(), answer_guide()),
        timeout_s=settings.planner_timeout_s,
        writer=ClaudeSynthesizer(
            client,
            model=settings.model,
            errors=errors,
            timeout_s=settings.planner_timeout_s,
            precedence=Precedence.load(settings.precedence_file),
        ),
    )


def build_catalog(
    world: DemoWorld, directory: IdentityDirectory, behaviour: DemoBehaviour
) -> Catalog:
    """The catalog over the demo systems alone (tests and benchmarks build it directly)."""
    return catalog_of(demo_operations(world, directory, behaviour), DEMO_SYSTEM_LABELS, directory)


def catalog_of(
    systems: list[AnyOperation], labels: Mapping[str, str], directory: IdentityDirectory
) -> Catalog:
    """Every operation a plan may use: the connected systems', the library's own (drafting,
    the digest's customer meetings) and the pure data operations (filter, sort, top, count,
    join)."""
    return Catalog.of(
        [*systems, *follow_up_operations(), *digest_operations(directory), *data_operations()],
        {**labels, **FOLLOW_UP_LABELS, **DATA_LABELS},
    )


def composers(settings: Settings) -> dict[str, Composer]:
    """The library's composers; the briefing and the free-form answer settle disagreements by
    the configured precedence (CROSSWIRE_PRECEDENCE_FILE, else the packaged one)."""
    precedence = Precedence.load(settings.precedence_file)
    return {
        **COMPOSERS,
        "briefing": partial(compose_briefing, precedence=precedence),
        ANSWER_WORKFLOW: partial(compose_free_form, precedence=precedence),
    }


def demo_config(settings: Settings) -> DemoConfig:
    return DemoConfig(
        database=settings.demo_database,
        seed=settings.demo_seed,
        behaviour=DemoBehaviour.parse(settings.demo_latency, settings.demo_faults),
    )


def rate_budgets(
    connected: ConnectedSystems, clock: Clock, sleep: Sleep | None = None
) -> RateBudgets:
    """Each connected system's rate budget (its connector's default, or the settings'),
    spent by every request the connectors send from now on, waited for through ``sleep``."""
    limits = connected.rate_limits()
    budgets = {s: Budget(per_second=lim.per_second, burst=lim.burst) for s, lim in limits.items()}
    paced = RateBudgets(budgets, clock=clock, sleep=sleep or asyncio.sleep)
    connected.pacing.by(paced.take)
    return paced


def step_policy(settings: Settings) -> StepPolicy:
    return StepPolicy(
        timeout_s=settings.step_timeout_s,
        attempts=settings.step_attempts,
        run_deadline_s=settings.run_deadline_s,
        late_grace_s=settings.late_grace_s,
    )


def circuit_breakers(settings: Settings, clock: Clock) -> CircuitBreakers:
    return CircuitBreakers(
        timeout_threshold=settings.breaker_timeouts,
        cooldown=settings.breaker_cooldown_s,
        clock=clock,
    )


async def build_services(
    settings: Settings,
    reporters: Mapping[str, RunReporter],
    *,
    notifier: NotifierFactory | None = None,
    clock: Clock | None = None,
    pacer: Callable[[], Awaitable[None]] | None = None,
    previewer: PreviewerFactory | None = None,
    sleep: Sleep | None = None,
) -> Services:
    """Every service, all reading time from ``clock`` (the system's wall clock by default);
    approvals are shown to people through the notifier ``notifier`` builds (by default,
    they are printed), plan previews through ``previewer``'s (by default, the terminal's).
    The operation caller waits (backoff, ``Retry-After``, rate budgets) through ``sleep``
    (``asyncio.sleep`` by default; a test's ``ClockSleep`` moves its clock instead)."""
    clock = clock or SystemClock()
    audit = await AuditStore.open(settings.audit_database_url, clock=clock)
    connected = await open_connectors(settings.connectors, demo=demo_config(settings), clock=clock)
    world = connected.world
    directory = await open_directory(audit.engine, world, clock=clock)
    budgets = rate_budgets(connected, clock, sleep)
    catalog = catalog_of(connected.operations(directory), connected.labels(), directory)
    model = model_client(settings)
    planner = select_planner(settings, directory, model)
    principals = access_principals(world, clock, settings.access_file)
    catalog = checked_catalog(catalog, principals, audit)
    planner = checked_planner(planner, directory, principals, audit)
    policy = ApprovalPolicy.load(settings.policy_file)
    approvals = ApprovalStore(audit.engine)
    room = WaitingRoom(approvals.states)
    boundary = ActionBoundary(
        policy=policy,
        store=approvals,
        room=room,
        notifier=(notifier or printed)(directory, policy),
        people=directory,
        ttl=settings.approval_ttl,
        clock=clock,
        audience=DemoAudience(world),
        previews=Previews(
            notifier=(previewer or terminal_previews)(directory),
            ttl=settings.preview_ttl,
            on=settings.previews,
        ),
    )
    wake = partial(wake_run, room)
    desk = ApprovalDesk(approvals, policy, directory, audit, clock, settings.approval_ttl, wake)
    engine = Engine(
        catalog=catalog,
        planner=planner,
        audit=audit,
        reporters=reporters,
        caller=OperationCaller(
            policy=step_policy(settings),
            breakers=circuit_breakers(settings, clock),
            clock=clock,
            sleep=sleep or asyncio.sleep,
        ),
        composers=composers(settings),
        max_concurrent_runs=settings.max_concurrent_runs,
        pacer=pacer or no_pacing,
        boundary=boundary,
    )
    schedules = ScheduleStore(audit.engine, clock)
    return Services(
        settings,
        audit,
        connected,
        directory,
        catalog,
        planner,
        engine,
        clock,
        desk,
        schedules,
        model,
        budgets,
    )


def terminal_previews(people: People) -> PreviewNotifier:
    """Plan previews of a terminal run: ``crosswire ask`` shows them itself."""
    return TerminalPreviewNotifier()


def printed(people: People, policy: ApprovalPolicy) -> ApprovalNotifier:
    """Approvals printed for a terminal run (``crosswire ask``)."""
    return TerminalApprovalNotifier(people)


async def wake_run(
    room: WaitingRoom, run_id: str, message: dict[str, Any], topic: str, key: str
) -> None:
    """Wake a run waiting for a decision, from whichever process took it: the message goes
    to the run, and a run waiting in this process looks at once."""
    await DBOS.send_async(run_id, message, topic, idempotency_key=key)
    room.ring(str(message.get("approval_id", "")))


def sweeper(desk: ApprovalDesk, pacer: Callable[[], Awaitable[None]] = no_pacing) -> Periodic:
    """Escalate and expire approvals whose time is up (on the desk's clock), every
    :data:`SWEEP_INTERVAL_S` once the edge is quiet (``pacer``); several processes may sweep
    at once (each change is a compare-and-set)."""
    return Periodic(
        "crosswire.approval_sweeper",
        desk.sweep,
        SWEEP_INTERVAL_S,
        failed="approvals.sweep_failed",
        pacer=pacer,
    )


def identity_refresher(
    directory: IdentityDirectory, pacer: Callable[[], Awaitable[None]] = no_pacing
) -> Periodic:
    """Refresh the identity graph every :data:`IDENTITY_REFRESH_S`, once the edge is quiet
    (``pacer``): what changed in the systems, and the verdicts a command recorded meanwhile
    (``crosswire identity different``)."""
    return Periodic(
        "crosswire.identity_refresher",
        directory.refresh,
        IDENTITY_REFRESH_S,
        failed="identity.refresh_failed",
        blips=(SQLAlchemyError, OSError, ValueError),
        pacer=pacer,
    )


def durable_settings(settings: Settings) -> DurableSettings:
    return DurableSettings(
        system_database_url=system_database_url(
            settings.audit_database_url, str(settings.dbos_sqlite_file)
        ),
        executor_id=settings.executor_id,
    )


@asynccontextmanager
async def running(
    settings: Settings,
    reporters: Mapping[str, RunReporter],
    *,
    clock: Clock | None = None,
    replica: bool = False,
    pacer: Callable[[], Awaitable[None]] | None = None,
    takeovers: list[Callable[[str], Awaitable[object]]] | None = None,
    notifier: NotifierFactory | None = None,
    previewer: PreviewerFactory | None = None,
    sleep: Sleep | None = None,
) -> AsyncIterator[Services]:
    """Services with the durable engine launched; call inside the event loop that serves.

    ``replica`` (long-running servers) also keeps a heartbeat and resumes the runs of
    replicas that died (see :mod:`workflows.engine.replicas`). ``clock`` is where every
    service reads the time (the system's wall clock by default; tests pass a ManualClock),
    ``sleep`` how the operation caller waits (see :func:`build_services`).
    """
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    services = await build_services(
        settings,
        reporters,
        clock=clock,
        pacer=pacer,
        notifier=notifier,
        previewer=previewer,
        sleep=sleep,
    )
    bind(services.engine)
    watch = ReplicaWatch(
        services.audit.engine,
        settings.executor_id,
        clock=services.clock.now,
        takeovers=takeovers if takeovers is not None else [],
    )
    if replica:  # alive before it recovers its own runs: a fresh heartbeat is never swept
        await watch.beat()
    launch(durable_settings(settings))
    if replica:
        watch.start()
    give_way = pacer or no_pacing
    beside = [sweeper(services.desk, give_way), identity_refresher(services.directory, give_way)]
    for periodic in beside:
        periodic.start()
    try:
        yield services
    finally:
        for periodic in beside:  # a pass in flight finishes: see bot.periodic
            await periodic.stop()
        await watch.stop()
        shutdown()
        await services.aclose()
