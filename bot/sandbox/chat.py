"""The sandbox: a terminal chat with the real Bolt app, no Slack workspace needed.

Each line typed becomes a signed request dispatched through the same app that serves Slack:
an ``app_mention`` in the sandbox channel, or with a sandbox command a DM (``/dm``), the
Home tab (``/home``), the ``/crosswire`` slash command, or a click on a button the bot showed
(``/press N``), a modal it opens then filled in at the terminal (`bot.sandbox.modals`).
``/as EMAIL`` changes who is typing: any of Northwind's staff (`bot.sandbox.cast`). What the
app posts, edits, shows to one person or publishes on the Home tab arrives at the local Web
API stand-in and is printed here (`bot.sandbox.screen`), Slack's markup as terminal text.
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
from typing import TextIO

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.render.previews import RUN
from bot.render.terminal import mrkdwn, wants_ansi
from bot.sandbox import payloads, turns
from bot.sandbox.buttons import Place
from bot.sandbox.cast import SANDBOX_EMAIL, SANDBOX_USER, Cast, Member, join_workspace
from bot.sandbox.interactions import Interactions
from bot.sandbox.lines import LineReader
from bot.sandbox.screen import SANDBOX_CHANNEL, Screen
from bot.sandbox.signing import signed_headers
from bot.sandbox.slack_api import RecordedCall, SlackWebApiStandIn

__all__ = ["SANDBOX_CHANNEL", "SANDBOX_DM", "SANDBOX_EMAIL", "SANDBOX_USER", "SandboxChat"]

SANDBOX_DM = "D0SANDBOX"
QUIT = frozenset({"quit", "exit", "/quit", "/exit"})
HELP = """Sandbox commands:
  TEXT              mention @crosswire in #sandbox with TEXT, e.g. brief me on Acme
  /dm TEXT          send TEXT to Crosswire in a direct message
  /crosswire TEXT   the slash command (/crosswire help says what it does)
  /home             open Crosswire's Home tab
  /press N          press button [N] of a message (or /click N); a modal it opens is
                    filled in here: Enter keeps a value, a line with only . ends long text
  /as EMAIL         be someone else (an email or a name), e.g. /as rachel.kim@northwind.example
                    /as alone says who you are
  /who              the people you can be
  /help             this list
  quit              leave (or Ctrl-C, Ctrl-D)"""
COMMANDS = ("/crosswire", "/dm", "/home", "/press", "/click", "/as", "/who")
ANSWER_TIMEOUT_S = 120.0
HOME_TIMEOUT_S = 10.0
SETTLE_TIMEOUT_S = 2.0


@dataclass
class SandboxChat:
    """The terminal side of the sandbox workspace: you are Dana Reyes, a sales rep, until
    ``/as`` makes you someone else."""

    app: AsyncApp
    standin: SlackWebApiStandIn
    signing_secret: str
    out: TextIO = sys.stdout
    ansi: bool | None = None
    log_file: Path | None = None
    _seen: int = field(default=0, init=False)
    _lines: LineReader | None = field(default=None, init=False)
    _screen: Screen | None = field(default=None, init=False)
    _interactions: Interactions | None = field(default=None, init=False)

    def attach(self) -> None:
        """Make Northwind's staff members of the workspace and start showing its calls."""
        if self.ansi is None:
            self.ansi = wants_ansi(self.out)
        cast = join_workspace(self.standin)
        me = cast.find(SANDBOX_EMAIL)
        assert me is not None  # the cast always has Dana Reyes
        self._screen = Screen(self.standin, cast, me, self.out, bool(self.ansi))
        self._interactions = Interactions(
            self.standin, self._screen, self._dispatch, self, bool(self.ansi)
        )
        self.standin.subscribe(self.screen.show)

    @property
    def screen(self) -> Screen:
        if self._screen is None:
            raise RuntimeError("SandboxChat.attach() was not called")
        return self._screen

    @property
    def interactions(self) -> Interactions:
        if self._interactions is None:
            raise RuntimeError("SandboxChat.attach() was not called")
        return self._interactions

    @property
    def me(self) -> Member:
        """Who is at the terminal now."""
        return self.screen.me

    @property
    def cast(self) -> Cast:
        return self.screen.cast

    async def press(self, number: int) -> None:
        """Press button [``number``] as the person at the terminal (see `Interactions`)."""
        await self.interactions.press(number)

    def read_from(self, stream: TextIO) -> None:
        """Where the answers to a modal's questions come from (the chat's own input)."""
        self._lines = LineReader(stream)

    # ------------------------------------------------------------------ sending

    async def say(self, line: str) -> int:
        """Send one line as the person at the terminal; returns the HTTP status Bolt answered."""
        me = self.screen.me
        if line.startswith("/crosswire"):
            payload = payloads.slash_command(
                line.removeprefix("/crosswire").strip(),
                user_id=me.user_id,
                channel_id=SANDBOX_CHANNEL,
                response_url=self.standin.response_url(SANDBOX_CHANNEL, me.user_id),
                user_name=me.email.split("@")[0],
            )
        elif line.startswith("/dm"):
            text = line.removeprefix("/dm").strip()
            payload = payloads.direct_message(text, user=me.user_id, channel=me.dm)
        elif line == "/home":
            payload = payloads.app_home_opened(me.user_id, channel=me.dm)
        else:
            payload = payloads.app_mention(line, user=me.user_id, channel=SANDBOX_CHANNEL)
        response = await self._dispatch(payload)
        if response.status == 200 and response.body and line.startswith("/crosswire"):
            self._print(f"crosswire (only you)> {self._ack_text(response.body)}")
        return response.status

    async def _dispatch(self, payload: payloads.Payload) -> BoltResponse:
        headers: dict[str, str | Sequence[str]] = dict(
            signed_headers(
                payload.body.encode(), self.signing_secret, content_type=payload.content_type
            )
        )
        request = AsyncBoltRequest(body=payload.body, headers=headers)
        response = await self.app.async_dispatch(request)
        if response.status != 200:
            self._print(f"[sandbox] the app answered HTTP {response.status}")
        return response

    def _ack_text(self, body: str) -> str:
        """A slash command's ack as a person sees it: its blocks, else its text."""
        try:
            ack = json.loads(body)
        except json.JSONDecodeError:
            return body
        if not isinstance(ack, dict):
            return body
        blocks = ack.get("blocks")
        if isinstance(blocks, list) and blocks:  # shown to the typist alone, buttons and all
            me = self.screen.me
            place = Place("ephemeral", SANDBOX_CHANNEL, payloads.new_ts(), me.user_id)
            return self.screen.blocks(place, blocks)
        return mrkdwn(str(ack.get("text", "")), ansi=bool(self.ansi))

    def _print(self, text: str) -> None:
        self.screen.print(text)

    # ------------------------------------------------------------------ people

    def _be(self, who: str) -> None:
        """``/as``: say who is at the terminal, or become the person ``who`` names."""
        screen = self.screen
        if not who:
            self._print(f"[sandbox] you are {screen.me.describe()}")
            return
        member = self.cast.find(who)
        if member is None:
            self._print(
                f"[sandbox] nobody in the sandbox workspace is {who}; "
                "/who lists the people you can be"
            )
            return
        screen.me = member
        self._print(f"[sandbox] you are now {member.describe()}")
        screen.reshow_buttons(member)

    def _who(self) -> None:
        """``/who``: the people you can be, you marked."""
        lines = ["People you can be (/as EMAIL):"]
        for member in self.cast:
            you = "  ← you" if member == self.screen.me else ""
            lines.append(f"  {member.email:<34} {member.name}, {member.title}{you}")
        self._print("\n".join(lines))

    # ------------------------------------------------------------------ modals.Terminal

    def show(self, text: str) -> None:
        """Print a line for the person at the terminal."""
        self._print(text)

    async def ask(self, prompt: str) -> str | None:
        """Ask the person at the terminal; their line, or None once their input has ended."""
        print(prompt, end="", file=self.out, flush=True)
        line = await self._lines.readline() if self._lines is not None else ""
        if not line:
            self._print("")
            return None
        if self._lines is not None and not self._lines.interactive:
            self._print(line.rstrip("\n"))  # what a script typed, so the chat reads right
        return line.rstrip("\n")

    # ------------------------------------------------------------------ the chat

    async def repl(self, stdin: TextIO = sys.stdin) -> None:
        """Read lines until EOF, ``quit`` or Ctrl-C, each one a message to the bot."""
        logs = f" Logs go to {self.log_file}." if self.log_file else ""
        self._print(
            "Sandbox workspace: you are Dana Reyes in #sandbox. Try `brief me on Acme`; "
            f"/help lists the sandbox commands; quit or Ctrl-C to leave.{logs}"
        )
        self.read_from(stdin)
        stop = asyncio.Event()
        with _stop_on_signals(stop):
            chat = asyncio.ensure_future(self._chat())
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait([chat, stopped], return_when=asyncio.FIRST_COMPLETED)
            for task in (chat, stopped):
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        if stop.is_set():
            self._print("\nBye.")

    async def _chat(self) -> None:
        assert self._lines is not None
        while True:
            print(f"you ({self.screen.me.name})> ", end="", file=self.out, flush=True)
            line = await self._lines.readline()
            if not line or line.strip() in QUIT:
                return
            if line.strip():
                await self.converse(line.strip())

    async def converse(self, line: str, timeout: float = ANSWER_TIMEOUT_S) -> None:
        """Say a line and wait for the bot's answer (a message marked as a run's answer, a
        note that the run waits for an approval, or a message shown to you only), the Home
        tab, the effects of a click, or nothing for help and the sandbox's own commands."""
        first, _, rest = line.partition(" ")
        rest = rest.strip()
        if line in ("/help", "/?"):
            self._print(HELP)
        elif line.startswith("/") and first not in COMMANDS:
            self._print(f"[sandbox] there is no {first} here; /help lists the sandbox commands")
        elif first == "/dm" and not rest:
            self._print("[sandbox] /dm needs a message, e.g. /dm brief me on Acme")
        elif first == "/as":
            self._be(rest)
        elif first == "/who":
            self._who()
        elif first in ("/press", "/click"):
            await self._press(first, rest)
        else:
            await self._ask_bot(line, first, timeout)

    async def _press(self, command: str, rest: str) -> None:
        number = rest.strip("[]")
        if not number.isdigit():
            self._print(f"[sandbox] {command} needs a button's number, e.g. {command} 1")
            return
        button = self.screen.board.get(int(number))
        self._seen = len(self.standin.calls)
        await self.interactions.press(int(number))
        if button is not None and button.action_id == RUN:  # the run goes on: wait as for a line
            await self._answered(ANSWER_TIMEOUT_S)

    async def _ask_bot(self, line: str, first: str, timeout: float) -> None:
        self._seen = len(self.standin.calls)
        command = line.removeprefix("/crosswire").strip().lower() if first == "/crosswire" else None
        if await self.say(line) != 200 or command in ("", "help", "?"):
            return
        await self._answered(timeout, home=line == "/home")

    async def _answered(self, timeout: float, *, home: bool = False) -> None:
        """Wait for what answers the turn (see :mod:`bot.sandbox.turns`), or the Home tab."""
        done = turns.home_published if home else turns.answered
        try:
            await self.standin.wait_for(
                lambda _: done(self._since()), HOME_TIMEOUT_S if home else timeout
            )
        except TimeoutError:
            self._print("[sandbox] still working; the answer will appear here")
            return
        # The progress message takes its last state once the answer is posted: let that edit
        # land before the prompt comes back, so it is not printed after it.
        with suppress(TimeoutError):
            await self.standin.wait_for(lambda _: turns.settled(self._since()), SETTLE_TIMEOUT_S)

    def _since(self) -> list[RecordedCall]:
        return [c for c in self.standin.calls[self._seen :] if c.error is None]


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
