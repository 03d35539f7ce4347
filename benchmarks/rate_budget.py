"""Benchmark 11: a fan-out against Stripe's stand-in, paced by the billing system's rate budget.

``python -m benchmarks.rate_budget``: one step fans ``billing.list_invoices`` out over N calls
(the Acme account, one Stripe request each, paced by the Stripe client) through the engine's
operation caller, against the Stripe stand-in answering in 50 ms, twice: with the default
Stripe budget (20 a second, bursts of 10) and with no budget. The stand-in stamps each request
as it arrives, so the rate Stripe sees is measured where it would be: the most requests in any
one-second window, against the budget's ceiling (per_second + burst: a full bucket, then a
second of its refill; counted where the requests arrive, a request the bucket let go at the end
of a second can land inside a window that began with a burst that arrived late), and the wall
time against the bucket's own bound ((N - burst) / per_second).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bot.cli.directory import company_directory
from bot.settings import Settings
from connectors.demo import open_demo_world
from connectors.pacing import Pacing
from connectors.stripe import StripeConnector
from connectors.stripe.connector import DEFAULT_LIMIT
from connectors.stripe.standin import StripeStandIn
from workflows.catalog import CallContext
from workflows.clock import SystemClock
from workflows.engine import Budget, CircuitBreakers, OperationCaller, RateBudgets, StepPolicy

CALLS = 100
LATENCY_S = 0.05


async def run(state_dir: Path, calls: int = CALLS) -> dict[str, Any]:
    settings = Settings(state_dir=state_dir, scheduler=False)
    directory = await company_directory(settings)
    world = await open_demo_world(settings.demo_database, clock=SystemClock())
    account = directory.resolve_account("Acme").account
    assert account is not None
    with StripeStandIn(latency_s=LATENCY_S) as standin:
        await standin.seed_from(world)
        await world.close()
        budget = Budget(per_second=DEFAULT_LIMIT.per_second, burst=DEFAULT_LIMIT.burst)
        paced = await _fan_out(standin, directory, account.model_dump(mode="json"), calls, budget)
        unpaced = await _fan_out(standin, directory, account.model_dump(mode="json"), calls, None)
    ceiling = budget.per_second + budget.burst
    return {
        "calls": calls,
        "latency_ms": LATENCY_S * 1000,
        "budget": {"per_second": budget.per_second, "burst": budget.burst},
        "paced": paced,
        "unpaced": unpaced,
        "ceiling_per_window": ceiling,
        "bound_s": round((calls - budget.burst) / budget.per_second, 2),
        "met": paced["max_in_any_second"] <= ceiling and paced["failed"] == 0,
    }


async def _fan_out(
    standin: StripeStandIn, directory: Any, account: dict[str, Any], calls: int,
    budget: Budget | None,
) -> dict[str, Any]:  # fmt: skip
    clock = SystemClock()
    http = httpx.AsyncClient(
        base_url=standin.url,
        headers={"Authorization": f"Bearer {standin.api_key}"},
        limits=httpx.Limits(max_connections=calls),
    )
    connector = StripeConnector(http, clock=clock)
    pacing = Pacing()
    connector.pace(pacing)  # every request to Stripe waits for the bucket
    pacing.by(RateBudgets({"billing": budget} if budget else {}, clock=clock).take)
    op = next(o for o in connector.operations(directory) if o.name == "billing.list_invoices")
    caller = OperationCaller(
        policy=StepPolicy(timeout_s=30, attempts=1),
        breakers=CircuitBreakers(clock=clock),
        clock=clock,
    )
    ctx = CallContext(run_id="bench", step_id="invoices", requester_email="bench@example.test")
    before = len(standin.seen)
    t0 = time.perf_counter()
    result = await caller.call(op, [{"account": account}] * calls, ctx, fan_out=True)
    wall = time.perf_counter() - t0
    await connector.aclose()
    stamps = sorted(s.at for s in standin.seen[before:])
    return {
        "wall_s": round(wall, 3),
        "requests": len(stamps),
        "failed": sum(1 for item in result.items if not item.ok),
        "max_in_any_second": max(sum(1 for t in stamps if s <= t < s + 1) for s in stamps),
        "mean_per_s": round(len(stamps) / max(stamps[-1] - stamps[0], 1e-9), 1),
    }


def rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The table's lines: the most requests Stripe saw in any second, paced and not."""
    paced, unpaced, budget = r["paced"], r["unpaced"], r["budget"]
    return [
        (f"billing fan-out, {r['calls']} reads at {r['latency_ms']:.0f} ms", "", "", ""),
        (
            f"  most in any second, paced ({budget['per_second']}/s, burst {budget['burst']})",
            f"{paced['max_in_any_second']} ({paced['failed']} failed)",
            f"<= {r['ceiling_per_window']}",
            "met" if r["met"] else "NOT MET",
        ),
        (
            "  most in any second, unpaced",
            f"{unpaced['max_in_any_second']} ({unpaced['failed']} failed)",
            "",
            "",
        ),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="crosswire-bench-") as tmp:
        state = Path(tmp) / "state"
        state.mkdir()
        results = asyncio.run(run(state))
    json.dump(results, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
