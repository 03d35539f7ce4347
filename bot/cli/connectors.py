"""``crosswire connectors check``: per connected system, in plain words, whether it answers,
whether it accepts our credentials, and what it can do (its reads and writes)."""

from __future__ import annotations

import json

from bot.cli.directory import company_directory
from bot.settings import Settings
from bot.wiring import demo_config, rate_budgets
from connectors.configured import SystemHealth, open_connectors
from workflows.clock import SystemClock


async def connectors_check(settings: Settings, *, as_json: bool = False) -> int:
    """Print every connected system's health; exit code 0 when all are reachable and
    authorised, 1 when any is not."""
    directory = await company_directory(settings)
    clock = SystemClock()
    connected = await open_connectors(settings.connectors, demo=demo_config(settings), clock=clock)
    rate_budgets(connected, clock)  # the probes are requests too: each waits its turn
    try:
        report = await connected.check(directory)
    finally:
        await connected.aclose()
    print(json.dumps([row.model_dump() for row in report], indent=2) if as_json else render(report))
    return 0 if all(row.ok for row in report) else 1


def render(report: list[SystemHealth]) -> str:
    """The report as lines a person reads: one per system, then a summary."""
    lines = [f"  {'ok  ' if row.ok else 'FAIL'}  {row.sentence()}" for row in report]
    failing = sum(not row.ok for row in report)
    total = f"{len(report)} system{'s' if len(report) != 1 else ''}"
    summary = f"{total}, all ok." if not failing else f"{total}, {failing} not ok."
    return "\n".join([*lines, summary])
