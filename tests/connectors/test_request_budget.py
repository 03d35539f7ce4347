"""A system's rate budget is spent per request, where the requests leave: a fan-out of HubSpot
account reads (several requests each) through the engine's operation caller never sends
HubSpot more requests in a second than its budget allows, retries included; one line says a
wait began, however many requests join it; `connectors check`'s probe waits its turn like any
request; Gmail's resend after a 401 pays for itself while Google's token service pays nothing;
and the demo world is paced per operation only when settings give it a budget.
Time is a ManualClock moved by the waits themselves (ClockSleep)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.wiring import rate_budgets
from connectors.config import ConnectorsConfig, DemoConfig, HubSpotConfig
from connectors.configured import open_connectors
from connectors.hubspot import HubSpotConnector
from connectors.hubspot.standin import HubSpotStandIn, throttled
from connectors.identity import IdentityDirectory
from connectors.pacing import Pacing
from connectors.protocol import RateLimit
from tests.connectors.demo_env import NOW, demo_state
from tests.connectors.google_env import comms
from tests.connectors.vendor_env import hubspot_http
from workflows.catalog import CallContext
from workflows.engine import Budget, CircuitBreakers, OperationCaller, RateBudgets, StepPolicy
from workflows.engine.resilience import ClockSleep

ACCOUNTS = ("Acme", "Quantum Freight", "Westwind Airlines", "Northgate Properties",
            "Umbra Design Studio")  # fmt: skip
CRM = Budget(per_second=4, burst=5)  # HubSpot's default
CTX = CallContext(run_id="run-1", step_id="crm", requester_email="rachel.kim@northwind.example")


@dataclass
class Paced:
    """HubSpot's connector against its stand-in, its requests paced by ``budgets``, and the
    ManualClock moment each request's turn came in ``sent`` (the moment the bucket gave it:
    ClockSleep moves the clock there before the request goes on)."""

    connector: HubSpotConnector
    standin: HubSpotStandIn
    directory: IdentityDirectory
    budgets: RateBudgets
    caller: OperationCaller
    sent: list[datetime]

    def accounts(self) -> list[dict[str, Any]]:
        found = [self.directory.resolve_account(name).account for name in ACCOUNTS]
        return [{"account": a.model_dump(mode="json")} for a in found if a is not None]

    async def fan_out(self, calls: list[dict[str, Any]]) -> Any:
        op = next(
            o for o in self.connector.operations(self.directory) if o.name == "crm.get_account"
        )
        return await self.caller.call(op, calls, CTX, fan_out=True)


@pytest.fixture
async def paced(tmp_path: Path) -> AsyncIterator[Paced]:
    with HubSpotStandIn() as standin:
        async with demo_state(tmp_path) as demo:
            await standin.seed_from(demo.world)
        clock, directory = demo.clock, demo.directory
        sleep = ClockSleep(clock)
        connector = HubSpotConnector(hubspot_http(standin), clock=clock)
        pacing = Pacing()
        connector.pace(pacing)
        budgets = RateBudgets({"crm": CRM}, clock=clock, sleep=sleep)
        sent: list[datetime] = []

        async def take(system: str) -> None:
            asked = clock.now()  # the bucket reserves the turn before it first awaits
            turn = asked + timedelta(seconds=await budgets.take(system))
            assert clock.now() >= turn  # the request goes on no sooner than its turn
            sent.append(turn)

        pacing.by(take)
        caller = OperationCaller(
            policy=StepPolicy(timeout_s=5, attempts=3, backoff_initial_s=0.2),
            breakers=CircuitBreakers(clock=clock),
            clock=clock,
            sleep=sleep,
        )
        try:
            yield Paced(connector, standin, directory, budgets, caller, sent)
        finally:
            await connector.aclose()


def most_in_a_second(moments: list[datetime]) -> int:
    """The most requests in any one-second window [t, t + 1 s) starting at a request."""
    times = sorted((m - NOW).total_seconds() for m in moments)
    return max(sum(1 for s in times if t <= s < t + 1) for t in times)


async def test_a_fan_out_of_account_reads_never_sends_hubspot_more_than_its_budget(
    paced: Paced,
) -> None:
    calls = paced.accounts()
    with capture_logs() as logs:
        result = await paced.fan_out(calls)
    assert result.status == "ok" and all(item.ok for item in result.items)
    requests = len(paced.standin.seen)
    assert requests >= 3 * len(calls)  # an account read is a chain of several requests
    assert len(paced.sent) == requests  # every request the stand-in saw took a token
    assert most_in_a_second(paced.sent) <= CRM.per_second + CRM.burst
    # Paced, not merely lucky: the last request left no sooner than the bucket allows.
    last = (max(paced.sent) - NOW).total_seconds()
    assert last >= (requests - CRM.burst) / CRM.per_second - 1e-6
    # One line for the wait, however many requests joined it.
    waiting = [e for e in logs if e["event"] == "rate_budget.waiting"]
    assert [e["system"] for e in waiting] == ["crm"]
    (waits,) = paced.budgets.waits()
    assert (waits.system, waits.waits, waits.requests) == ("crm", 1, requests - CRM.burst)


async def test_a_retry_is_a_request_and_waits_its_turn_too(paced: Paced) -> None:
    calls = paced.accounts()[:2]
    assert (await paced.fan_out(calls)).attempts == 1
    clean = len(paced.standin.seen)
    paced.standin.script(throttled("0"), on="/crm/v3/objects/companies/")
    result = await paced.fan_out(calls)
    assert result.status == "ok" and result.attempts == 2
    resent = len(paced.standin.seen) - clean
    assert resent > clean  # the throttled attempt's requests, and its retry's again
    # Every request that reached HubSpot took a token first (a sibling cancelled when its
    # attempt failed may have taken one and not been sent: fewer requests, never more).
    assert len(paced.sent) >= len(paced.standin.seen)
    assert most_in_a_second(paced.sent) <= CRM.per_second + CRM.burst


async def test_connectors_check_probes_wait_their_turn(tmp_path: Path) -> None:
    async with demo_state(tmp_path) as demo:
        directory = demo.directory
    clock = demo.clock
    sleep = ClockSleep(clock)
    with HubSpotStandIn() as standin:
        config = ConnectorsConfig(
            hubspot=HubSpotConfig(base_url=standin.url, access_token=standin.access_token),
            rate_limits={"crm": RateLimit(per_second=1, burst=1)},
        )
        connected = await open_connectors(
            config, demo=DemoConfig(database=tmp_path / "demo.sqlite"), clock=clock
        )
        try:
            rate_budgets(connected, clock, sleep)
            for _ in range(3):
                (crm,) = [r for r in await connected.check(directory) if r.system == "crm"]
                assert crm.ok, crm.problem
        finally:
            await connected.aclose()
    assert len(standin.seen) == 3 and sleep.waits == [1.0, 1.0]


async def test_the_demo_world_is_paced_per_call_only_where_settings_give_it_a_budget(
    tmp_path: Path,
) -> None:
    async with demo_state(tmp_path) as demo:
        settings, directory, clock = demo.settings, demo.directory, demo.clock
    sleep = ClockSleep(clock)
    config = ConnectorsConfig(rate_limits={"crm": RateLimit(per_second=2, burst=1)})
    connected = await open_connectors(
        config, demo=DemoConfig(database=settings.demo_database), clock=clock
    )
    try:
        budgets = rate_budgets(connected, clock, sleep)
        ops = {op.name: op for op in connected.operations(directory)}
        account = directory.resolve_account("Acme").account
        assert account is not None
        caller = OperationCaller(clock=clock, sleep=sleep)
        crm = [{"account": account.model_dump(mode="json")}] * 4
        assert (await caller.call(ops["crm.get_account"], crm, CTX, fan_out=True)).status == "ok"
        # Each call one token: the first free, then one every half second.
        assert sleep.waits == [0.5, 0.5, 0.5] and clock.now() == NOW + timedelta(seconds=1.5)
        support = [{"account": account.model_dump(mode="json")}] * 4
        tickets = ops["support.open_tickets"]
        assert (await caller.call(tickets, support, CTX, fan_out=True)).status == "ok"
        assert len(sleep.waits) == 3  # no budget configured: not paced
        assert [w.system for w in budgets.waits()] == ["crm"]
    finally:
        await connected.aclose()


async def test_gmail_pays_for_its_resend_after_a_401_and_the_token_service_pays_nothing(
    tmp_path: Path,
) -> None:
    async with comms("google", tmp_path) as c:
        assert c.standin is not None and c.connector is not None
        sleep = ClockSleep(c.clock)
        budgets = RateBudgets({"email": Budget(per_second=1)}, clock=c.clock, sleep=sleep)
        pacing = Pacing()
        c.connector.pace(pacing)
        pacing.by(budgets.take)
        account = c.directory.resolve_account("Acme").account
        assert account is not None
        c.standin.expire_tokens()  # the first request is refused and sent again
        caller = OperationCaller(clock=c.clock, sleep=sleep)
        args = {"account": account.model_dump(mode="json"), "limit": 50}
        result = await caller.call(c.operations["email.recent_threads"], [args], CTX)
        assert result.status == "ok" and result.attempts == 1
        gmail = [s for s in c.standin.seen if s.path.startswith("/gmail/")]
        assert len(gmail) >= 2 and len(gmail) < len(c.standin.seen)  # the token service too
        (waits,) = budgets.waits()
        assert waits.taken == len(gmail) and sleep.waits == [1.0] * (len(gmail) - 1)
