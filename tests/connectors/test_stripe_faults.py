"""Stripe misbehaving, through the one place resilience lives (the operation caller): a 429
with Retry-After is waited out as asked, 5xx, broken bodies and hangs are retried, a refused
key fails at once and plainly, and the key never shows in an error or a log line. Paging
follows starting_after while has_more. Waits move a ManualClock (no sleeping on it)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from connectors.stripe import StripeConnector
from connectors.stripe.standin import garbage, hang, throttled, unavailable
from tests.connectors.stripe_env import Billing, billing, stripe_http
from workflows.catalog import CallContext
from workflows.engine import CircuitBreakers, OperationCaller, StepPolicy
from workflows.engine.resilience import ClockSleep
from workflows.results import StepResult

CTX = CallContext(
    run_id="run-1", step_id="invoices", requester_email="dana.reyes@northwind.example"
)


async def list_invoices(b: Billing, *, attempts: int = 3) -> tuple[StepResult, ClockSleep]:
    sleep = ClockSleep(b.clock)
    caller = OperationCaller(
        policy=StepPolicy(timeout_s=5, attempts=attempts, backoff_initial_s=0.2),
        breakers=CircuitBreakers(clock=b.clock),
        clock=b.clock,
        sleep=sleep,
    )
    account = b.directory.resolve_account("Acme").account
    assert account is not None
    args: dict[str, Any] = {"account": account.model_dump(mode="json")}
    return await caller.call(b.operations["billing.list_invoices"], [args], CTX), sleep


async def test_a_429_is_waited_out_as_long_as_stripe_asked(tmp_path: Path) -> None:
    async with billing("stripe", tmp_path) as b:
        assert b.standin is not None
        b.standin.script(throttled(retry_after="4"))
        result, sleep = await list_invoices(b)
    assert (result.status, result.attempts) == ("ok", 2)
    assert 4 <= sleep.waits[0] <= 4.2
    assert result.output["invoices"]


@pytest.mark.parametrize("fault", [unavailable(503), unavailable(502), garbage()])
async def test_a_transient_fault_is_retried(fault: Any, tmp_path: Path) -> None:
    async with billing("stripe", tmp_path) as b:
        assert b.standin is not None
        b.standin.script(fault)
        result, sleep = await list_invoices(b)
    assert (result.status, result.attempts) == ("ok", 2)
    assert len(sleep.waits) == 1 and 0.2 <= sleep.waits[0] <= 0.4


async def test_a_hung_answer_is_a_timeout_then_retried(tmp_path: Path) -> None:
    async with billing("stripe", tmp_path, timeout=0.2) as b:
        assert b.standin is not None
        b.standin.script(hang(1.0))
        result, _ = await list_invoices(b)
    assert (result.status, result.attempts) == ("ok", 2)


async def test_a_system_down_for_good_is_a_named_gap(tmp_path: Path) -> None:
    async with billing("stripe", tmp_path) as b:
        assert b.standin is not None
        b.standin.script(*[unavailable(503)] * 3)
        result, _ = await list_invoices(b)
    assert (result.status, result.failure, result.attempts) == ("failed", "transient", 3)
    assert result.error == "Stripe is not responding (503)"


async def test_a_refused_key_fails_at_once_and_never_shows(tmp_path: Path) -> None:
    wrong = "sk_test_51WrongKeyThatMustNeverBeShown"
    async with billing("stripe", tmp_path) as b:
        assert b.standin is not None
        connector = StripeConnector(stripe_http(b.standin, key=wrong), clock=b.clock)
        b.operations = {op.name: op for op in connector.operations(b.directory)}
        with capture_logs() as logs:
            result, sleep = await list_invoices(b)
            health = await connector.health()
        await connector.aclose()
    assert (result.status, result.failure, result.attempts) == ("failed", "permanent", 1)
    assert result.error == (
        "Stripe refused our credentials (401): the key may be wrong, expired or revoked"
    )
    assert sleep.waits == []
    assert (health[0].reachable, health[0].authorised) == (True, False)
    shown = f"{result.model_dump_json()} {logs} {[h.model_dump_json() for h in health]}"
    assert wrong not in shown and wrong[-4:] not in shown


async def test_lists_are_read_page_after_page(tmp_path: Path) -> None:
    async with billing("stripe", tmp_path) as b:
        assert b.standin is not None
        account = b.directory.resolve_account("Acme").account
        assert account is not None
        customer = account.links["billing"]
        first = date(2026, 1, 1)
        for n in range(230):  # on top of Acme's own
            day = first + timedelta(days=n)
            b.standin.add_invoice(customer, f"INV-9{n:05d}", 100.0, day, day, "paid")
        result, _ = await list_invoices(b)
        pages = [s.query for s in b.standin.seen if s.path == "/v1/invoices"]
    assert result.status == "ok"
    numbers = [i["number"] for i in result.output["invoices"]]
    assert sum(n.startswith("INV-9") for n in numbers) == 230
    assert len(numbers) == len(set(numbers))
    assert len(pages) == 3 and "starting_after" not in pages[0]
    assert all(p["limit"] == "100" and p["starting_after"].startswith("in_") for p in pages[1:])
