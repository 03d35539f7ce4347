"""What the sandbox chat prints of what the bot does in the workspace, and where it was.

Every post and edit is shown with where it landed (``crosswire>`` in #sandbox, ``crosswire
(DM to Rachel Kim)>``, ``crosswire (#C0APPROVALS)>``), what only one person sees with ``(only
you)`` or whose it is, and the Home tab of the person at the terminal. Buttons are numbered as
they are shown (`bot.sandbox.buttons`), on every message, whoever may press them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.render.terminal import blocks_text, mrkdwn
from bot.sandbox.buttons import ButtonBoard, Place, buttons_in
from bot.sandbox.cast import Cast, Member
from bot.sandbox.modals import modal_text
from bot.sandbox.payloads import new_ts
from bot.sandbox.slack_api import RecordedCall, SlackWebApiStandIn

SANDBOX_CHANNEL = "C0SANDBOX"
SHOWN = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish", "response_url")
MODALS = ("views.open", "views.push")


@dataclass
class Screen:
    """Prints the workspace's calls for ``me``, the person at the terminal; see the module."""

    standin: SlackWebApiStandIn
    cast: Cast
    me: Member
    out: TextIO = sys.stdout
    ansi: bool = False
    board: ButtonBoard = field(default_factory=ButtonBoard)
    opened: list[str] = field(default_factory=list)  # ids of the modals opened, in order
    open_modal: str | None = None  # the modal on screen: its updates are shown

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def show(self, call: RecordedCall) -> None:
        """The stand-in's observer: print what a person would see of ``call``."""
        if call.error:
            return
        if call.method in MODALS and self.standin.views():
            self.opened.append(str(self.standin.views()[-1]["id"]))
        elif call.method == "views.update":
            self._modal_updated(call.args)
        elif call.method == "views.publish":
            self._home(call.args)
        elif call.method in SHOWN:
            place = self._place(call)
            self.print(f"{self._marker(call)}> {self._content(place, call.args)}")

    def reshow_buttons(self, member: Member) -> int:
        """Print again the messages with buttons in ``member``'s DM; how many there were."""
        found = [m for m in self.standin.messages(member.dm) if _has_buttons(m.blocks or [])]
        for message in found:
            place = Place("message", message.channel, message.ts)
            shown = self.blocks(place, message.blocks or [])
            self.print(f"crosswire{self._where(message.channel)}> {shown}")
        return len(found)

    def blocks(self, place: Place | None, blocks: Sequence[Mapping[str, Any]]) -> str:
        """``blocks`` as terminal text, their buttons numbered when they have a ``place``."""
        if place is None:
            return blocks_text(blocks, ansi=self.ansi)
        return blocks_text(blocks, ansi=self.ansi, button=self.board.numbered(place, blocks))

    def can_see(self, place: Place) -> bool:
        """Whether ``me`` sees ``place``: a channel, their own DM, what is shown to them."""
        if place.surface != "message":
            return place.user == self.me.user_id
        owner = self.cast.by_dm(place.channel)
        return owner is None or owner == self.me

    def whose(self, place: Place) -> Member | None:
        """The one person who sees ``place`` (a DM, an ephemeral, a Home tab), if it is one."""
        if place.surface == "message":
            return self.cast.by_dm(place.channel)
        return self.cast.by_user(place.user or "")

    def _home(self, args: Mapping[str, Any]) -> None:
        user = str(args.get("user_id", ""))
        if user != self.me.user_id:
            return  # another person's Home tab: only they would see it
        stored = self.standin.workspace.home_views.get(user) or {}
        place = Place("home", self.me.dm, str(stored.get("id", "")), user)
        view = args.get("view") or {}
        self.print(f"crosswire (Home tab)>\n{self.blocks(place, view.get('blocks') or [])}")

    def _modal_updated(self, args: Mapping[str, Any]) -> None:
        """The modal on screen as the app replaced it (the view it sent, whole, as in Slack)."""
        view = args.get("view")
        if isinstance(view, dict) and args.get("view_id") == self.open_modal:
            self.print(f"crosswire (modal, updated)>\n{modal_text(view, ansi=self.ansi)}")

    def _place(self, call: RecordedCall) -> Place | None:
        """Where the buttons of a shown call are, for pressing them later."""
        args = call.args
        if not _has_buttons(args.get("blocks") or []):
            return None
        channel = str(args.get("channel", ""))
        if call.method == "chat.update":
            return Place("message", channel, str(args.get("ts", "")))
        if call.method == "chat.postMessage":  # the latest post there with these blocks
            posted = [m for m in self.standin.messages(channel) if m.blocks == args["blocks"]]
            return Place("message", channel, posted[-1].ts) if posted else None
        shown = self.standin.workspace.ephemerals[-1:]
        if call.method == "response_url" and args.get("response_type") == "in_channel":
            posted = self.standin.messages()
            return Place("message", posted[-1].channel, posted[-1].ts) if posted else None
        if not shown:
            return None
        ephemeral = shown[0]
        ts = str(ephemeral.get("ts") or new_ts())
        return Place("ephemeral", str(ephemeral["channel"]), ts, str(ephemeral["user"]))

    def _marker(self, call: RecordedCall) -> str:
        where = self._where(str(call.args.get("channel", "")))
        if call.method == "chat.update":
            return f"crosswire{where} (edited)"
        if call.method == "chat.postEphemeral":
            return f"crosswire (only {self._you_or(str(call.args.get('user', '')))})"
        if call.method == "response_url" and call.args.get("response_type") != "in_channel":
            return "crosswire (only you)"
        return f"crosswire{where}"

    def _where(self, channel: str) -> str:
        if channel in ("", SANDBOX_CHANNEL):
            return ""
        owner = self.cast.by_dm(channel)
        if owner is not None:
            return f" (DM to {owner.name})"
        return " (DM)" if channel.startswith("D") else f" (#{channel})"

    def _you_or(self, user: str) -> str:
        member = self.cast.by_user(user)
        return "you" if member is None or member == self.me else member.name

    def _content(self, place: Place | None, args: Mapping[str, Any]) -> str:
        blocks = args.get("blocks")
        if isinstance(blocks, list) and blocks:
            return self.blocks(place, blocks)
        return mrkdwn(str(args.get("text", "")), ansi=self.ansi)


def _has_buttons(blocks: Sequence[Mapping[str, Any]]) -> bool:
    return any(True for _ in buttons_in(blocks))
