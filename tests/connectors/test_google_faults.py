"""Gmail and Google Calendar misbehaving, through the one place resilience lives (the operation
caller): a 429 with Retry-After is waited out as asked, 5xx, broken bodies and hangs are
retried, an expired token is renewed once without a retry, a refused service account fails at
once and plainly, and the key file's contents never show. An email whose send was accepted but
whose answer was lost is not sent again on the retry, nor on a replay. Lists are read page
after page. Waits move a ManualClock (no sleeping on it)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from connectors.google import open_google
from connectors.google.standin import expired, garbage, hang, throttled, unavailable
from tests.connectors.demo_env import NOW
from tests.connectors.google_env import (
    DANA,
    Comms,
    comms,
    google_config,
    google_standin,
    write_key_file,
)
from workflows.catalog import CallContext
from workflows.engine import CircuitBreakers, OperationCaller, StepPolicy
from workflows.engine.resilience import ClockSleep
from workflows.results import StepResult

CTX = CallContext(run_id="run-1", step_id="follow-up", requester_email=DANA)
THREADS = "/gmail/v1/users/me/threads"
EVENTS = "/calendar/v3/calendars/primary/events"


async def run(
    c: Comms, name: str, args: dict[str, Any], *, attempts: int = 3, ctx: CallContext = CTX
) -> tuple[StepResult, ClockSleep]:
    sleep = ClockSleep(c.clock)
    caller = OperationCaller(
        policy=StepPolicy(timeout_s=5, attempts=attempts, backoff_initial_s=0.2),
        breakers=CircuitBreakers(clock=c.clock),
        clock=c.clock,
        sleep=sleep,
    )
    return await caller.call(c.operations[name], [args], ctx), sleep


def acme_threads(c: Comms) -> dict[str, Any]:
    account = c.directory.resolve_account("Acme").account
    assert account is not None
    return {"account": account.model_dump(mode="json"), "limit": 50}


def window(days: int = 3) -> dict[str, Any]:
    return {
        "starts_from": NOW.isoformat(),
        "starts_before": (NOW + timedelta(days=days)).isoformat(),
    }


async def test_a_429_is_waited_out_as_long_as_gmail_asked(tmp_path: Path) -> None:
    async with comms("google", tmp_path) as c:
        assert c.standin is not None
        c.standin.script(throttled(retry_after="4"), on=THREADS)
        result, sleep = await run(c, "email.recent_threads", acme_threads(c))
    assert (result.status, result.attempts) == ("ok", 2)
    assert 4 <= sleep.waits[0] <= 4.2
    assert result.output["threads"]


@pytest.mark.parametrize("fault", [unavailable(503), unavailable(500), garbage()])
async def test_a_transient_calendar_fault_is_retried(fault: Any, tmp_path: Path) -> None:
    async with comms("google", tmp_path) as c:
        assert c.standin is not None
        c.standin.script(fault, on=EVENTS)
        result, sleep = await run(c, "calendar.meetings_between", window())
    assert (result.status, result.attempts) == ("ok", 2)
    assert len(sleep.waits) == 1 and 0.2 <= sleep.waits[0] <= 0.4
    assert result.output["meetings"]


async def test_a_hung_answer_is_a_timeout_then_retried(tmp_path: Path) -> None:
    async with comms("google", tmp_path, timeout=1.0) as c:
        assert c.standin is not None
        c.standin.script(hang(3.0), on=THREADS)
        result, _ = await run(c, "email.recent_threads", acme_threads(c))
    assert (result.status, result.attempts) == ("ok", 2)


async def test_a_down_calendar_is_a_named_gap(tmp_path: Path) -> None:
    async with comms("google", tmp_path) as c:
        assert c.standin is not None
        c.standin.script(*[unavailable(503)] * 3, on=EVENTS)
        result, _ = await run(c, "calendar.meetings_between", window())
    assert (result.status, result.failure, result.attempts) == ("failed", "transient", 3)
    assert result.error == "Google Calendar is not responding (503)"


async def test_an_expired_token_is_renewed_once_and_the_token_otherwise_kept(
    tmp_path: Path,
) -> None:
    async with comms("google", tmp_path) as c:
        assert c.standin is not None and c.connector is not None and c.connector.gmail
        tokens = c.connector.gmail.tokens
        first, _ = await run(c, "email.recent_threads", acme_threads(c))
        again, _ = await run(c, "calendar.meetings_between", window())
        assert tokens.exchanges == 1  # one token for both APIs, kept
        c.standin.expire_tokens()
        renewed, sleep = await run(c, "email.recent_threads", acme_threads(c))
        assert tokens.exchanges == 2
        c.clock.advance(timedelta(minutes=59, seconds=30))  # inside a minute of its expiry
        await run(c, "calendar.meetings_between", window())
        assert tokens.exchanges == 3
    assert first.status == again.status == renewed.status == "ok"
    assert renewed.attempts == 1 and sleep.waits == []
    assert renewed.output == first.output


async def test_a_token_refused_twice_fails_at_once(tmp_path: Path) -> None:
    async with comms("google", tmp_path) as c:
        assert c.standin is not None
        c.standin.script(expired(), expired(), on=THREADS)
        result, sleep = await run(c, "email.recent_threads", acme_threads(c))
    assert (result.status, result.failure, result.attempts) == ("failed", "permanent", 1)
    assert (result.error or "").startswith("Gmail refused our credentials (401)")
    assert sleep.waits == []


async def test_an_undelegated_or_foreign_key_fails_plainly_and_never_shows(
    tmp_path: Path,
) -> None:
    async with comms("google", tmp_path) as c:
        assert c.standin is not None
        key_file = write_key_file(tmp_path)
        secret = json.loads(key_file.read_text())["private_key"]
        stranger = google_config(c.standin, key_file, subject="eve@northwind.example")
        connector = open_google(stranger, clock=c.clock)
        c.operations = {op.name: op for op in connector.operations(c.directory)}
        with capture_logs() as logs:
            result, _ = await run(c, "email.recent_threads", acme_threads(c))
            health = await connector.health()
        await connector.aclose()
    assert (result.status, result.failure, result.attempts) == ("failed", "permanent", 1)
    assert "not delegated for eve@northwind.example" in (result.error or "")
    assert [(h.system, h.reachable, h.authorised) for h in health] == [
        ("email", True, False), ("calendar", True, False),
    ]  # fmt: skip
    shown = f"{result.model_dump_json()} {logs} {[h.model_dump_json() for h in health]}"
    body = secret.splitlines()[1]
    assert body not in shown and "BEGIN PRIVATE KEY" not in shown


async def test_a_missing_or_broken_key_file_is_named_without_its_contents(
    tmp_path: Path,
) -> None:
    with google_standin(standin_clock()) as standin:
        broken = tmp_path / "broken.json"
        broken.write_text('{"type": "service_account", "private_key": "-----BEGIN sec"}')
        found = {}
        for name, path in (("missing", tmp_path / "nope.json"), ("broken", broken)):
            connector = open_google(google_config(standin, path), clock=standin_clock())
            found[name] = [h.problem for h in await connector.health()]
            await connector.aclose()
    assert (
        found["missing"][0]
        == f"the key file {tmp_path / 'nope.json'} cannot be read, so Google was not asked"
    )
    assert found["broken"][0].startswith(f"the key file {broken} has no usable private key")
    assert "BEGIN sec" not in str(found)


def standin_clock() -> Any:
    from workflows.clock import ManualClock

    return ManualClock(NOW)


async def test_an_accepted_send_whose_answer_was_lost_is_not_sent_again(tmp_path: Path) -> None:
    args = {"to": "jordan.lee@acme.example", "subject": "Thanks for joining", "body": "Slides."}
    async with comms("google", tmp_path) as c:
        assert c.standin is not None
        c.standin.lose_answers(unavailable(503), on="/gmail/v1/users/me/messages/send")
        result, _ = await run(c, "email.send", args)
        replayed, _ = await run(c, "email.send", args)  # the run resumed after a crash
        other, _ = await run(c, "email.send", args, ctx=CallContext(
            run_id="run-2", step_id="follow-up", requester_email=DANA))  # fmt: skip
        sent = list(c.standin.sent)
    assert (result.status, result.attempts) == ("ok", 2)
    assert result.output["duplicate"] is True and replayed.output["duplicate"] is True
    assert result.output["message_id"] == replayed.output["message_id"] == sent[0].id
    assert other.output["duplicate"] is False
    assert len(sent) == 2 and sent[0].header("To") == "jordan.lee@acme.example"
    assert sent[0].header("X-Crosswire-Idempotency-Key") == CTX.idempotency_key
    assert sent[0].body.strip() == "Slides."


async def test_lists_are_read_page_after_page(tmp_path: Path) -> None:
    async with comms("google", tmp_path) as c:
        assert c.standin is not None
        for n in range(130):
            c.standin.add_thread(
                f"thr-x{n:03d}",
                f"Note {n}",
                [DANA, "pat@acme.io"],
                1,
                "pat@acme.io",
                NOW - timedelta(days=30, minutes=n),
                "hi",
            )
        for n in range(300):
            start = NOW + timedelta(hours=1, minutes=n)
            c.standin.add_event(f"standup{n:04d}", "Standup", start, start + timedelta(minutes=5),
                                DANA, [DANA])  # fmt: skip
        threads, _ = await run(c, "email.recent_threads", acme_threads(c))
        meetings, _ = await run(c, "calendar.meetings_between", window(1))
        thread_pages = [s.query for s in c.standin.seen if s.path == THREADS]
        event_pages = [s.query for s in c.standin.seen if s.path == EVENTS]
    assert threads.status == meetings.status == "ok"
    assert len(threads.output["threads"]) == 50
    assert len(thread_pages) == 2 and thread_pages[1]["pageToken"] == ["100"]
    ids = [m["id"] for m in meetings.output["meetings"]]
    assert sum(i.startswith("standup") for i in ids) == 300 and len(ids) == len(set(ids))
    assert len(event_pages) >= 2 and "pageToken" not in event_pages[0]
    assert event_pages[0]["singleEvents"] == ["true"] and event_pages[0]["orderBy"] == ["startTime"]
