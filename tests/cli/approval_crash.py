"""The webinar follow-up told to ``crosswire serve`` as its own process, for crash tests: the
Slack stand-in with Dana Reyes and Rachel Kim in it, signed deliveries, what the run has posted
and sent, and a way to hold the audit's writes back so that a write step cannot finish."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bot.reporters.approvals import APPROVAL_EVENT, NOTE_EVENT
from bot.reporters.slack import is_answer_call, is_progress
from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers
from bot.sandbox.slack_api import PostedMessage, RecordedCall, SlackWebApiStandIn
from connectors.demo.writes import read_outbox
from tests.cli.processes import crosswire, http_mode, killed_at_exit
from workflows.domain import OutboxMessage

TOKEN = "xoxb-crash-approvals"
SECRET = "crash-approvals-secret"
CHANNEL = "C0CRASHAPPR"
THREAD = "1700000600.000100"
EVENT = "Ev0CRASHAPPR"
RUN_ID = f"slack-{EVENT}"
DANA, DANA_EMAIL = "U0DANA", "dana.reyes@northwind.example"
RACHEL, RACHEL_EMAIL = "U0RACHEL", "rachel.kim@northwind.example"
OBJECTIVE = "follow up with prospects who attended last week's webinar but haven't booked a demo"
WITHIN_S = 60.0
PLAN = ("attendees", "bookings", "prospects", "activity", "mail", "drafts", "send", "log")


@dataclass(frozen=True)
class Story:
    """One run of the follow-up, told to a server on ``state`` and ``database_url`` (else the
    state folder's SQLite), with ``standin`` as Slack."""

    tmp_path: Path
    standin: SlackWebApiStandIn
    database_url: str | None

    @property
    def state(self) -> Path:
        return self.tmp_path / "state"

    @property
    def env(self) -> dict[str, str]:
        return http_mode(
            self.standin.base_url, token=TOKEN, secret=SECRET, database_url=self.database_url
        )

    @asynccontextmanager
    async def server(self, name: str) -> AsyncIterator[str]:
        """``crosswire serve`` until the block ends, then SIGKILL; its stderr in ``name.log``,
        shown if it never listens."""
        log, listening = self.tmp_path / f"{name}.log", False
        try:
            async with killed_at_exit(self.state, self.env, log) as base:
                listening = True
                yield base
        except TimeoutError:
            if listening:
                raise
            said = log.read_text() if log.exists() else ""
            raise AssertionError(f"crosswire serve ({name}) never listened:\n{said}") from None

    def crosswire(self, *args: str) -> str:
        """``crosswire ARGS`` as a process on the same state and database: its output."""
        env = {"CROSSWIRE_DATABASE_URL": self.database_url} if self.database_url else {}
        done = crosswire(self.state, *args, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout


@asynccontextmanager
async def story(tmp_path: Path, database_url: str | None) -> AsyncIterator[Story]:
    """The Slack stand-in (Dana and Rachel are members) for one story."""
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, DANA_EMAIL, "Dana Reyes")
        standin.add_user(RACHEL, RACHEL_EMAIL, "Rachel Kim")
        yield Story(tmp_path, standin, database_url)


async def deliver(base: str, payload: payloads.Payload) -> int:
    """Sign ``payload`` and POST it to the server at ``base`` as Slack does: its status."""
    body = payload.body.encode()
    headers = signed_headers(body, SECRET, content_type=payload.content_type)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/slack/events", data=body, headers=headers) as response,
    ):
        return response.status


def mention() -> payloads.Payload:
    """Dana asks for the follow-up in the channel."""
    return payloads.app_mention(OBJECTIVE, user=DANA, channel=CHANNEL, ts=THREAD, event_id=EVENT)


def approval_posts(standin: SlackWebApiStandIn) -> list[PostedMessage]:
    """The approval messages on the stand-in, wherever they were posted."""
    return [m for m in standin.messages() if _event(m.metadata) == APPROVAL_EVENT]


def approve_all(standin: SlackWebApiStandIn, message: PostedMessage) -> payloads.Payload:
    """Rachel's click on Approve all, on the approval message as she sees it (its response
    URL served by ``standin``)."""
    assert message.metadata is not None
    return payloads.block_action(
        "approval.approve_all",
        message.metadata["event_payload"]["approval_id"],
        user_id=RACHEL,
        channel_id=message.channel,
        message_ts=message.ts,
        response_url=standin.response_url(message.channel, RACHEL),
        message_text=message.text,
        message_blocks=message.blocks,
        label="Approve all",
        user_name="rachel.kim",
    )


def waiting_notes(standin: SlackWebApiStandIn) -> list[PostedMessage]:
    """The notes in Dana's thread that the run waits for an approval."""
    return [
        m
        for m in _notes(standin)
        if m.metadata and m.metadata["event_payload"]["note"] == "waiting"
    ]


class HeldApprovalPost:
    """Holds Slack's answer to the first approval post, once Slack took it, until released:
    the step that posted it cannot finish, so it is never checkpointed."""

    def __init__(self, standin: SlackWebApiStandIn) -> None:
        self.accepted, self.released = asyncio.Event(), asyncio.Event()
        standin.subscribe(self._hold)

    async def _hold(self, call: RecordedCall) -> None:
        taken = call.method == "chat.postMessage" and call.error is None
        approval = _event(call.args.get("metadata")) == APPROVAL_EVENT
        if taken and approval and not self.accepted.is_set():
            self.accepted.set()
            await self.released.wait()  # the caller hears nothing until it is dead


def answers(standin: SlackWebApiStandIn) -> list[RecordedCall]:
    """The calls Slack accepted that delivered the run's answer."""
    return [c for c in standin.calls if c.error is None and is_answer_call(c.method, c.args)]


async def until_posted_for_approval(standin: SlackWebApiStandIn) -> PostedMessage:
    await _until(standin, lambda s: bool(approval_posts(s)), "the approval message")
    return approval_posts(standin)[0]


async def until_noted(standin: SlackWebApiStandIn) -> None:
    await _until(standin, lambda s: bool(waiting_notes(s)), "note that the run waits")


async def until_answered(standin: SlackWebApiStandIn) -> None:
    await _until(standin, lambda s: bool(answers(s)), "the answer")
    await asyncio.sleep(0.5)  # a second copy of anything, if one were coming, would be here


async def _until(
    standin: SlackWebApiStandIn, posted: Callable[[SlackWebApiStandIn], bool], what: str
) -> None:
    try:
        await standin.wait_for(posted, WITHIN_S)
    except TimeoutError:
        calls = "\n".join(
            f"{c.method} {c.error or 'ok'} {c.args.get('text')}" for c in standin.calls
        )
        raise AssertionError(
            f"no {what} within {WITHIN_S:g} s; Slack was called:\n{calls}"
        ) from None


async def until_sent(state: Path) -> list[OutboxMessage]:
    """The demo mailbox's messages once there is at least one."""
    async with asyncio.timeout(WITHIN_S):
        while True:
            sent = await read_outbox(state / "demo.sqlite")
            if sent:
                return sent
            await asyncio.sleep(0.02)


@asynccontextmanager
async def audit_writes_held(state: Path, database_url: str | None) -> AsyncIterator[None]:
    """Nothing can be written to the audit until the block ends (reads go on): a write step's
    emails go out, and the step then waits to record them, so it is never checkpointed. The
    server waits on the lock rather than failing (SQLite's busy timeout is 30 s)."""
    if database_url is not None:
        connection = await asyncpg.connect(database_url)
        try:
            holding = connection.transaction()
            await holding.start()
            await connection.execute("LOCK TABLE audit_events IN SHARE MODE")
            yield
            await holding.rollback()
        finally:
            await connection.close()
        return
    database = sqlite3.connect(
        state / "crosswire.db", isolation_level=None, check_same_thread=False
    )
    try:
        await asyncio.to_thread(database.execute, "BEGIN IMMEDIATE")
        yield
        await asyncio.to_thread(database.execute, "ROLLBACK")
    finally:
        database.close()


def assert_sent_once_each(outbox_json: str, count: int) -> None:
    """``crosswire demo outbox --json``: one email per approved item, each with its own key."""
    sent = json.loads(outbox_json)
    assert len(sent) == count
    assert sorted(m["idempotency_key"] for m in sent) == sorted(
        f"{RUN_ID}:send:{i}" for i in range(count)
    )
    assert len({m["to"] for m in sent}) == count
    assert {m["run_id"] for m in sent} == {RUN_ID}


def assert_posted_once_each(standin: SlackWebApiStandIn) -> None:
    """One approval message, one waiting note in Dana's thread, one answer; no post twice;
    the progress message never goes back."""
    posts = [c for c in standin.calls if c.method == "chat.postMessage" and c.error is None]
    assert [_event(c.args.get("metadata")) for c in posts].count(APPROVAL_EVENT) == 1
    assert len(approval_posts(standin)) == 1
    notes = _notes(standin)
    assert all(m.thread_ts == THREAD for m in notes)
    kinds = Counter(m.metadata["event_payload"]["note"] for m in notes if m.metadata)
    assert kinds == {"waiting": 1, "settled": 1}
    [answer] = answers(standin)
    assert str(answer.args["text"]).startswith("Follow-ups sent.")
    shapes = Counter(
        (c.args.get("channel"), c.args.get("thread_ts"), c.args.get("text")) for c in posts
    )
    assert max(shapes.values()) == 1, shapes
    assert len([c for c in posts if is_progress(c.args)]) == 1
    shown = [(n, c) for c in standin.calls if (n := _progress_count(c)) is not None]
    counts = [n for n, _ in shown]
    assert counts == sorted(counts), "\n".join(f"{c.method} {c.args.get('text')}" for _, c in shown)


def assert_audited_once_each(shown: str, count: int) -> dict[str, str]:
    """``crosswire audit show``: the run completed, each step once, one approval decision,
    one action per email; the outcome of each email's action, by its idempotency key."""
    lines = [line.split(" ", 1)[1] for line in shown.splitlines() if line[:1].isdigit()]
    steps = [line.split()[1] for line in lines if line.startswith("step ")]
    assert sorted(steps) == sorted(PLAN)
    decided = [line for line in lines if line.startswith("approval ") and " approved by " in line]
    assert len(decided) == 1 and "Rachel Kim" in decided[0]
    actions = [line.split() for line in lines if line.startswith("action send[")]
    assert [a[:4] for a in actions] == [
        ["action", f"send[{i}]", "email", "email.send"] for i in range(count)
    ]
    outcomes = {a[-1]: a[4].removesuffix(",") for a in actions}
    assert sorted(outcomes) == sorted(f"{RUN_ID}:send:{i}" for i in range(count))
    assert f"Run {RUN_ID}: completed" in shown
    return outcomes


def requested_items(shown: str) -> int:
    """How many emails the approval asked for, as the audit recorded the request."""
    found = re.search(r"approval \S+ requested: (\d+) items", shown)
    assert found is not None, shown
    return int(found.group(1))


def _notes(standin: SlackWebApiStandIn) -> list[PostedMessage]:
    return [m for m in standin.messages(CHANNEL) if _event(m.metadata) == NOTE_EVENT]


def _event(metadata: Any) -> str | None:
    return metadata.get("event_type") if isinstance(metadata, dict) else None


def _progress_count(call: RecordedCall) -> int | None:
    """How many systems the progress message says have answered, if the call showed it."""
    if call.error is not None or call.method not in ("chat.postMessage", "chat.update"):
        return None
    found = re.search(r"from \d+ systems… \((\d+)/\d+\)", str(call.args.get("text") or ""))
    return int(found.group(1)) if found else None
