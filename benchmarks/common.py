"""What the benchmarks share: settings on a temporary state directory, quiet but real logging,
and percentiles. Nothing here reaches the network: everything binds 127.0.0.1, port 0."""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.logging import configure_logging
from bot.settings import Settings

RESULTS_DIR = Path(__file__).resolve().parent / "results"
LOG_FILE = RESULTS_DIR / "bench.log"

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
DANA = "U0DANA"
DANA_EMAIL = "dana.reyes@northwind.example"
CHANNEL = "C0SALES"
MENTION_TEXT = "brief me on Acme"


def bench_settings(state_dir: Path, *, demo_latency: str = "") -> Settings:
    """Settings that ignore ambient configuration that matters here: SQLite in ``state_dir``."""
    return Settings(
        state_dir=state_dir,
        database_url="",
        executor_id="bench",
        demo_latency=demo_latency,
        demo_faults="",
        slack_bot_token=None,
        slack_app_token=None,
        slack_signing_secret=None,
        slack_api_url=None,
        anthropic_api_key=None,
        anthropic_base_url=None,
    )


def log_to_file() -> None:
    """The product's own logging (JSON lines, INFO), written to benchmarks/results/bench.log so
    its cost stays in the measurement while the terminal stays readable."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stream = LOG_FILE.open("w", encoding="utf-8")
    saved = sys.stderr
    sys.stderr = stream
    try:
        configure_logging("INFO", "json")
    finally:
        sys.stderr = saved


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100), linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary_ms(values_s: Sequence[float]) -> dict[str, Any]:
    """p50 / p90 / p99 / max / mean of durations given in seconds, in milliseconds."""
    ms = [v * 1000 for v in values_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else math.nan,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else math.nan,
    }


async def json_from_child(module: str, *args: str, timeout_s: float, what: str) -> dict[str, Any]:
    """Run ``python -m module ARGS…`` (a benchmark side in a fresh process) and read the JSON
    it prints; its progress goes to this process's stderr. ``what`` names it in errors."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, stdout=asyncio.subprocess.PIPE
    )
    try:
        out, _ = await asyncio.wait_for(child.communicate(), timeout_s)
    except TimeoutError:
        child.kill()
        await child.wait()
        raise
    if child.returncode != 0:
        raise RuntimeError(f"{what} exited with {child.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result
