"""A Slack workspace in a test: the Web API stand-in, the real app, signed requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from dbos import DBOS
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.reporters.slack import is_answer_call
from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers
from bot.sandbox.slack_api import PostedMessage, RecordedCall, SlackWebApiStandIn
from bot.settings import Settings
from bot.slack_bot import slack_bot
from bot.slack_client import web_client
from bot.wiring import Services
from workflows.audit import RunDetail
from workflows.clock import Clock
from workflows.schedules.service import Scheduler

SECRET = "test-signing-secret"
TOKEN = "xoxb-test"
DANA = "U0DANA"
STRANGER = "U0STRANGER"
CHANNEL = "C0SALES"


@dataclass
class SlackHarness:
    app: AsyncApp
    standin: SlackWebApiStandIn
    services: Services
    scheduler: Scheduler

    async def send(
        self,
        payload: payloads.Payload,
        *,
        secret: str = SECRET,
        retry_num: int | None = None,
        body_override: str | None = None,
    ) -> BoltResponse:
        """Sign ``payload`` and dispatch it through the app, as Slack would deliver it."""
        headers: dict[str, str | Sequence[str]] = dict(
            signed_headers(
                payload.body.encode(),
                secret,
                content_type=payload.content_type,
                retry_num=retry_num,
                retry_reason="http_timeout" if retry_num else None,
            )
        )
        body = payload.body if body_override is None else body_override
        return await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))

    def answers(self) -> list[RecordedCall]:
        """Calls Slack accepted that delivered a run's answer: posts, and progress messages
        turned into the answer (a notice)."""
        return [
            c for c in self.standin.calls if c.error is None and is_answer_call(c.method, c.args)
        ]

    async def wait_for_answers(self, count: int = 1, timeout: float = 15.0) -> list[RecordedCall]:
        await self.standin.wait_for(lambda _: len(self.answers()) >= count, timeout)
        return self.answers()

    async def finished(self, run_id: str, timeout: float = 10.0) -> RunDetail:
        """The audited run once it has finished and its durable workflow has returned.

        The workflow's status is read first: once it has returned, everything it recorded is
        in the audit (read the other way round, a run that ended between the two reads would
        show the audit from before its end, such as an earlier attempt's failure)."""
        async with asyncio.timeout(timeout):
            while True:
                status = await DBOS.get_workflow_status_async(run_id)
                detail = await self.services.audit.get_run(run_id)
                done = status is None or status.status != "PENDING"
                if detail and detail.run.status != "running" and done:
                    return detail
                await asyncio.sleep(0.02)

    def command(
        self, text: str, *, user: str = DANA, channel: str = CHANNEL, **kw: str
    ) -> payloads.Payload:
        """A ``/crosswire`` command whose ``response_url`` the stand-in serves and records."""
        url = self.standin.response_url(channel, user)
        return payloads.slash_command(
            text, user_id=user, channel_id=channel, response_url=url, **kw
        )

    def only_for(self, user: str) -> list[dict[str, Any]]:
        """What was shown to ``user`` alone: ephemeral messages and responses to commands."""
        return self.standin.ephemerals(user)

    async def wait_only_for(self, user: str, count: int = 1) -> list[dict[str, Any]]:
        await self.standin.wait_for(lambda _: len(self.only_for(user)) >= count, 15.0)
        return self.only_for(user)

    def thread(self, channel: str, thread_ts: str) -> list[PostedMessage]:
        return [
            m
            for m in self.standin.messages(channel)
            if m.thread_ts == thread_ts or m.ts == thread_ts
        ]


def block_texts(blocks: Any) -> str:
    """Every text in a message's blocks, for assertions."""
    return json.dumps(blocks, ensure_ascii=False)


@asynccontextmanager
async def start_harness(
    settings: Settings, *, clock: Clock | None = None
) -> AsyncIterator[SlackHarness]:
    async with SlackWebApiStandIn(token=TOKEN) as standin:
        standin.add_user(DANA, "dana.reyes@northwind.example", "Dana Reyes")
        standin.add_user(STRANGER, "someone@elsewhere.example", "Some One")
        client = web_client(TOKEN, standin.base_url)
        async with slack_bot(settings, client, signing_secret=SECRET, clock=clock) as bot:
            yield SlackHarness(
                app=bot.app, standin=standin, services=bot.services, scheduler=bot.scheduler
            )
