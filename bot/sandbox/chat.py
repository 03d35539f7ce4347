"""The sandbox: a terminal chat with the real Bolt app, no Slack workspace needed.

Each line typed becomes a signed ``app_mention`` (or, starting with ``/crosswire``, a signed
slash command) dispatched through the same app that serves Slack; the messages the app posts
and edits arrive at the local Web API stand-in and are printed here.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.reporters.slack import is_answer
from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers
from bot.sandbox.slack_api import RecordedCall, SlackWebApiStandIn

SANDBOX_USER = "U0SANDBOX"
SANDBOX_CHANNEL = "C0SANDBOX"
SANDBOX_EMAIL = "dana.reyes@northwind.example"


def blocks_text(blocks: Sequence[dict[str, Any]]) -> str:
    """Block Kit flattened for a terminal: headers, sections and context lines."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section" and block.get("text"):
            lines.append(str(block["text"]["text"]))
        elif kind == "context":
            lines.append("   " + " ".join(str(e.get("text", "")) for e in block["elements"]))
        elif kind == "divider":
            lines.append("-" * 40)
    return "\n".join(lines)


def _ack_text(body: str) -> str:
    """A slash command's ack as a person sees it: its blocks, else its text."""
    try:
        ack = json.loads(body)
    except json.JSONDecodeError:
        return body
    if isinstance(ack, dict) and isinstance(ack.get("blocks"), list):
        return blocks_text(ack["blocks"])
    return str(ack.get("text", body)) if isinstance(ack, dict) else body


@dataclass
class SandboxChat:
    app: AsyncApp
    standin: SlackWebApiStandIn
    signing_secret: str
    out: TextIO = sys.stdout

    def attach(self) -> None:
        self.standin.add_user(SANDBOX_USER, SANDBOX_EMAIL, "Dana Reyes")
        self.standin.subscribe(self._show)

    async def say(self, line: str) -> int:
        """Send one line as the sandbox user; returns the HTTP status Bolt answered."""
        if line.startswith("/crosswire"):
            payload = payloads.slash_command(
                line.removeprefix("/crosswire").strip(),
                user_id=SANDBOX_USER,
                channel_id=SANDBOX_CHANNEL,
            )
        else:
            payload = payloads.app_mention(line, user=SANDBOX_USER, channel=SANDBOX_CHANNEL)
        body = payload.body
        headers: dict[str, str | Sequence[str]] = dict(
            signed_headers(body.encode(), self.signing_secret, content_type=payload.content_type)
        )
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        if response.status != 200:
            print(f"[sandbox] the app answered HTTP {response.status}", file=self.out)
        elif response.body and line.startswith("/crosswire"):
            print(f"crosswire (only you)> {_ack_text(response.body)}", file=self.out)
        return response.status

    async def _show(self, call: RecordedCall) -> None:
        if call.error or call.method not in ("chat.postMessage", "chat.update"):
            return
        blocks = call.args.get("blocks")
        text = blocks_text(blocks) if isinstance(blocks, list) and blocks else call.args.get("text")
        marker = "crosswire" if call.method == "chat.postMessage" else "crosswire (edited)"
        print(f"{marker}> {text}", file=self.out, flush=True)

    async def repl(self, stdin: TextIO = sys.stdin) -> None:
        """Read lines until EOF or ``quit``, each one a message to the bot."""
        print(
            "Sandbox workspace: you are Dana Reyes. Try `brief me on Acme`; `quit` to stop.",
            file=self.out,
            flush=True,
        )
        while True:
            print("you> ", end="", file=self.out, flush=True)
            line = await asyncio.to_thread(stdin.readline)
            if not line or line.strip() in {"quit", "exit"}:
                return
            if line.strip():
                await self.converse(line.strip())

    async def converse(self, line: str, timeout: float = 120.0) -> None:
        """Say a line and wait for the bot's answer (a message marked as a run's answer)."""
        answers = len(self._answers())
        command = line.removeprefix("/crosswire").strip().lower() if line.startswith("/") else None
        if await self.say(line) != 200 or command in ("", "help", "?"):
            return
        try:
            await self.standin.wait_for(lambda _: len(self._answers()) > answers, timeout)
        except TimeoutError:
            print("[sandbox] still working; the answer will appear here", file=self.out)

    def _answers(self) -> list[RecordedCall]:
        return [c for c in self.standin.calls_to("chat.postMessage") if is_answer(c.args)]
