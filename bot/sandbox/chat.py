"""The sandbox: a terminal chat with the real Bolt app, no Slack workspace needed.

Each line typed becomes a signed request dispatched through the same app that serves Slack:
an ``app_mention`` in the sandbox channel, or with a sandbox command a DM (``/dm``), the
Home tab (``/home``) or the ``/crosswire`` slash command. What the app posts, edits, shows
to you only or publishes on the Home tab arrives at the local Web API stand-in and is
printed here, Slack's markup rendered as terminal text.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.render.terminal import blocks_text, mrkdwn, wants_ansi
from bot.reporters.slack import is_answer
from bot.sandbox import payloads
from bot.sandbox.lines import LineReader
from bot.sandbox.signing import signed_headers
from bot.sandbox.slack_api import RecordedCall, SlackWebApiStandIn

SANDBOX_USER = "U0SANDBOX"
SANDBOX_CHANNEL = "C0SANDBOX"
SANDBOX_DM = "D0SANDBOX"
SANDBOX_EMAIL = "dana.reyes@northwind.example"
QUIT = frozenset({"quit", "exit", "/quit", "/exit"})
HELP = """Sandbox commands:
  TEXT              mention @crosswire in #sandbox with TEXT, e.g. brief me on Acme
  /dm TEXT          send TEXT to Crosswire in a direct message
  /crosswire TEXT   the slash command (/crosswire help says what it does)
  /home             open Crosswire's Home tab
  /help             this list
  quit              leave (or Ctrl-C, Ctrl-D)"""
ANSWER_TIMEOUT_S = 120.0
HOME_TIMEOUT_S = 10.0
SETTLE_TIMEOUT_S = 2.0
SHOWN = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish", "response_url")


@dataclass
class SandboxChat:
    """The terminal side of the sandbox workspace: you are Dana Reyes, a sales rep."""

    app: AsyncApp
    standin: SlackWebApiStandIn
    signing_secret: str
    out: TextIO = sys.stdout
    ansi: bool | None = None
    log_file: Path | None = None
    _seen: int = field(default=0, init=False)

    def attach(self) -> None:
        self.standin.add_user(SANDBOX_USER, SANDBOX_EMAIL, "Dana Reyes")
        self.standin.subscribe(self._show)
        if self.ansi is None:
            self.ansi = wants_ansi(self.out)

    # ------------------------------------------------------------------ sending

    async def say(self, line: str) -> int:
        """Send one line as the sandbox user; returns the HTTP status Bolt answered."""
        if line.startswith("/crosswire"):
            payload = payloads.slash_command(
                line.removeprefix("/crosswire").strip(),
                user_id=SANDBOX_USER,
                channel_id=SANDBOX_CHANNEL,
                response_url=self.standin.response_url(SANDBOX_CHANNEL, SANDBOX_USER),
            )
        elif line.startswith("/dm"):
            text = line.removeprefix("/dm").strip()
            payload = payloads.direct_message(text, user=SANDBOX_USER, channel=SANDBOX_DM)
        elif line == "/home":
            payload = payloads.app_home_opened(SANDBOX_USER, channel=SANDBOX_DM)
        else:
            payload = payloads.app_mention(line, user=SANDBOX_USER, channel=SANDBOX_CHANNEL)
        return await self._send(payload, command=line.startswith("/crosswire"))

    async def _send(self, payload: payloads.Payload, *, command: bool) -> int:
        body = payload.body
        headers: dict[str, str | Sequence[str]] = dict(
            signed_headers(body.encode(), self.signing_secret, content_type=payload.content_type)
        )
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        if response.status != 200:
            self._print(f"[sandbox] the app answered HTTP {response.status}")
        elif response.body and command:
            self._print(f"crosswire (only you)> {self._ack_text(response.body)}")
        return response.status

    # ------------------------------------------------------------------ showing

    async def _show(self, call: RecordedCall) -> None:
        if call.error or call.method not in SHOWN:
            return
        if call.method == "views.publish":
            view = call.args.get("view") or {}
            self._print(f"crosswire (Home tab)>\n{self._blocks(view.get('blocks') or [])}")
            return
        self._print(f"{self._marker(call)}> {self._content(call.args)}")

    def _marker(self, call: RecordedCall) -> str:
        channel = str(call.args.get("channel", ""))
        where = " (DM)" if channel.startswith("D") else ""
        if call.method == "chat.update":
            return f"crosswire{where} (edited)"
        if call.method == "chat.postEphemeral":
            return "crosswire (only you)"
        if call.method == "response_url" and call.args.get("response_type") != "in_channel":
            return "crosswire (only you)"
        return f"crosswire{where}"

    def _content(self, args: dict[str, Any]) -> str:
        blocks = args.get("blocks")
        if isinstance(blocks, list) and blocks:
            return self._blocks(blocks)
        return mrkdwn(str(args.get("text", "")), ansi=bool(self.ansi))

    def _blocks(self, blocks: Sequence[dict[str, Any]]) -> str:
        return blocks_text(blocks, ansi=bool(self.ansi))

    def _ack_text(self, body: str) -> str:
        """A slash command's ack as a person sees it: its blocks, else its text."""
        try:
            ack = json.loads(body)
        except json.JSONDecodeError:
            return body
        if not isinstance(ack, dict):
            return body
        return self._content(ack)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # ------------------------------------------------------------------ the chat

    async def repl(self, stdin: TextIO = sys.stdin) -> None:
        """Read lines until EOF, ``quit`` or Ctrl-C, each one a message to the bot."""
        logs = f" Logs go to {self.log_file}." if self.log_file else ""
        self._print(
            "Sandbox workspace: you are Dana Reyes in #sandbox. Try `brief me on Acme`; "
            f"/help lists the sandbox commands; quit or Ctrl-C to leave.{logs}"
        )
        stop = asyncio.Event()
        with _stop_on_signals(stop):
            chat = asyncio.ensure_future(self._chat(LineReader(stdin)))
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait([chat, stopped], return_when=asyncio.FIRST_COMPLETED)
            for task in (chat, stopped):
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        if stop.is_set():
            self._print("\nBye.")

    async def _chat(self, lines: LineReader) -> None:
        while True:
            print("you> ", end="", file=self.out, flush=True)
            line = await lines.readline()
            if not line or line.strip() in QUIT:
                return
            if line.strip():
                await self.converse(line.strip())

    async def converse(self, line: str, timeout: float = ANSWER_TIMEOUT_S) -> None:
        """Say a line and wait for the bot's answer (a message marked as a run's answer,
        or a message shown to you only), the Home tab, or nothing for help and commands."""
        if line in ("/help", "/?"):
            self._print(HELP)
            return
        first = line.split(maxsplit=1)[0]
        if line.startswith("/") and first not in ("/crosswire", "/dm", "/home"):
            self._print(f"[sandbox] there is no {first} here; /help lists the sandbox commands")
            return
        if first == "/dm" and not line.removeprefix("/dm").strip():
            self._print("[sandbox] /dm needs a message, e.g. /dm brief me on Acme")
            return
        self._seen = len(self.standin.calls)
        command = line.removeprefix("/crosswire").strip().lower() if first == "/crosswire" else None
        if await self.say(line) != 200 or command in ("", "help", "?"):
            return
        home = line == "/home"
        done = self._home_published if home else self._answered
        try:
            await self.standin.wait_for(lambda _: done(), HOME_TIMEOUT_S if home else timeout)
        except TimeoutError:
            self._print("[sandbox] still working; the answer will appear here")
            return
        # The progress message takes its last state once the answer is posted: let that edit
        # land before the prompt comes back, so it is not printed after it.
        with suppress(TimeoutError):
            await self.standin.wait_for(lambda _: self._settled(), SETTLE_TIMEOUT_S)

    def _since(self) -> list[RecordedCall]:
        return [c for c in self.standin.calls[self._seen :] if c.error is None]

    def _answered(self) -> bool:
        """A run's answer arrived, or something only for you with no run in progress."""
        calls = self._since()
        if any(c.method in SHOWN and is_answer(c.args) for c in calls):
            return True
        progress = any(c.method == "chat.postMessage" for c in calls)
        private = any(c.method in ("chat.postEphemeral", "response_url") for c in calls)
        return private and not progress

    def _settled(self) -> bool:
        """No progress message, or it was edited after the answer was posted."""
        calls = self._since()
        if not any(c.method == "chat.postMessage" and not is_answer(c.args) for c in calls):
            return True
        answer = next(i for i, c in enumerate(calls) if c.method in SHOWN and is_answer(c.args))
        if calls[answer].method == "chat.update":  # the progress message became the answer
            return True
        return any(c.method == "chat.update" for c in calls[answer + 1 :])

    def _home_published(self) -> bool:
        return any(c.method == "views.publish" for c in self._since())


@contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C (and a polite SIGTERM) set ``stop`` instead of tearing the process down."""
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (RuntimeError, ValueError, NotImplementedError):  # not the main thread
            continue
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
