"""Buttons pressed and modals filled in at the sandbox terminal, sent as Slack sends them.

``/press N`` becomes the signed ``block_actions`` request of a click on button [N]
(`bot.sandbox.clicks`); the chat then waits for what the app shows in return, until it goes
quiet. A modal the app opens meanwhile (``views.open``, ``views.push``) is shown and filled
in (`bot.sandbox.modals`) and, once confirmed, sent back as a ``view_submission``. An ack
with ``response_action: errors`` has the fields it names asked again; ``update`` or ``push``
shows the view it carries next.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.response import BoltResponse

from bot.sandbox import clicks, modals, payloads
from bot.sandbox.screen import MODALS, SHOWN, Screen
from bot.sandbox.slack_api import SlackWebApiStandIn

CLICK_TIMEOUT_S = 10.0
SETTLE_TIMEOUT_S = 2.0
QUIET_S = 0.25  # what a click caused is done once the app has made no call for this long
Dispatch = Callable[[payloads.Payload], Awaitable[BoltResponse]]


@dataclass
class Interactions:
    """Clicks and modal submissions for the person ``screen.me``, through ``dispatch``."""

    standin: SlackWebApiStandIn
    screen: Screen
    dispatch: Dispatch
    terminal: modals.Terminal
    ansi: bool = False
    timeout: float = CLICK_TIMEOUT_S
    _submitted: int = field(default=0, init=False)  # the calls made before the last submission

    async def press(self, number: int) -> None:
        """Press button [``number``], then fill in the modal the click opens, if one."""
        button = self.screen.board.get(number)
        if button is None:
            self.terminal.show(
                f"[sandbox] there is no button {number}; press a number shown in [ ]"
            )
            return
        refusal = clicks.refusal(button, self.screen)
        if refusal is not None:
            self.terminal.show(f"[sandbox] {refusal}")
            return
        opened, seen = len(self.screen.opened), len(self.standin.calls)
        payload = clicks.click(button, self.screen, trigger_id=payloads.new_trigger_id())
        if (await self.dispatch(payload)).status != 200:
            return
        if not await self._reacted(seen):
            self.terminal.show("[sandbox] the app took the click; nothing has changed yet")
        await self._modals_since(opened)

    async def _reacted(self, seen: int) -> bool:
        """Wait for the app to show something after the first ``seen`` calls, then for it to
        go quiet; False if it showed nothing in time."""

        def showed(standin: SlackWebApiStandIn) -> bool:
            reactions = (*SHOWN, *MODALS, "views.update")
            return any(c.method in reactions and not c.error for c in standin.calls[seen:])

        try:
            await self.standin.wait_for(showed, self.timeout)
        except TimeoutError:
            return False
        with suppress(TimeoutError):
            async with asyncio.timeout(SETTLE_TIMEOUT_S):
                before = -1
                while before != len(self.standin.calls):
                    before = len(self.standin.calls)
                    await asyncio.sleep(QUIET_S)
        return True

    async def _modals_since(self, opened: int) -> None:
        """Fill in the latest modal opened after the first ``opened``, and any it leads to."""
        while len(self.screen.opened) > opened:
            view_id = self.screen.opened[-1]
            opened = len(self.screen.opened)
            view = next((v for v in self.standin.views() if v.get("id") == view_id), None)
            if view is not None:
                await self._modal(view)

    async def _modal(self, view: dict[str, Any]) -> None:
        """Show ``view``, ask for its inputs and submit it; the same for each view the app
        answers with."""
        shown: dict[str, Any] | None = view
        while shown is not None:
            current = shown
            self.screen.open_modal = str(current.get("id") or "")
            self.terminal.show(modals.modal_text(current, ansi=self.ansi))
            if not modals.inputs(current) and modals.submit_label(current) is None:
                await self._reacted(self._submitted)  # it shows what came of the submission
                return
            try:
                shown = await self._submit(current, await modals.fill(current, self.terminal))
            except modals.Closed:
                self.terminal.show("[sandbox] the modal was closed; nothing was submitted")
                if current.get("notify_on_close"):
                    user = self.screen.me.user_id
                    await self.dispatch(payloads.view_closed(current, user_id=user))
                return

    async def _submit(self, view: dict[str, Any], values: modals.Values) -> dict[str, Any] | None:
        """Submit ``view`` with ``values`` once confirmed, asking again for the fields the
        app's errors name; the view the app answered with, if any."""
        label = modals.submit_label(view) or "Submit"
        while True:
            answer = await self.terminal.ask(f"{label}? [y/N] ")
            if answer is None or answer.strip().lower() not in ("y", "yes"):
                raise modals.Closed
            opened, seen = len(self.screen.opened), len(self.standin.calls)
            self._submitted = seen
            payload = payloads.view_submission(view, values, user_id=self.screen.me.user_id)
            self.screen.open_modal = None  # until its answer is shown, an update waits
            response = await self.dispatch(payload)
            if response.status != 200:
                return None
            ack = _json(response.body)
            errors = modals.submission_errors(ack)
            if not errors:
                return await self._after_submit(view, ack, opened, seen)
            self.terminal.show(modals.error_lines(view, errors))
            values = await modals.fill(view, self.terminal, entered=values, only=list(errors))

    async def _after_submit(
        self, view: dict[str, Any], ack: Mapping[str, Any], opened: int, seen: int
    ) -> dict[str, Any] | None:
        answered, action = ack.get("view"), ack.get("response_action")
        if action == "push" and isinstance(answered, dict):
            return answered
        if action == "update" and isinstance(answered, dict):
            return self._updated_since(seen, view) or {**answered, "id": view.get("id")}
        self.terminal.show("[sandbox] submitted; the modal closed")
        await self._reacted(seen)
        await self._modals_since(opened)
        return None

    def _updated_since(self, seen: int, view: Mapping[str, Any]) -> dict[str, Any] | None:
        """The modal as the app last updated it (``views.update``) after the first ``seen``
        calls, if it did while its submission was being answered: the view it sent, which
        replaces the modal whole, as in Slack."""
        updates = [
            c.args["view"]
            for c in self.standin.calls[seen:]
            if c.method == "views.update" and not c.error and isinstance(c.args.get("view"), dict)
            and c.args.get("view_id") == view.get("id")
        ]  # fmt: skip
        return {**updates[-1], "id": view.get("id")} if updates else None


def _json(body: str) -> dict[str, Any]:
    """An ack's JSON object; empty for an empty ack (or one that is not JSON)."""
    try:
        parsed = json.loads(body) if body else None
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
