"""``crosswire ask``: one objective through the same planner, engine and audit, no Slack."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TextIO

from bot.logging import json_lines
from bot.render.clarify import question_text
from bot.render.previews import preview_text
from bot.render.terminal import wants_ansi
from bot.render.text import answer_text
from bot.reporters.terminal import TerminalReporter
from bot.settings import Settings
from bot.wiring import Services, running
from workflows.answers import Briefing, Digest, FreeFormAnswer, Notice, RunAnswer
from workflows.approvals import Approval
from workflows.approvals.previews import PreviewChoice, PreviewDesk
from workflows.approvals.questions import QuestionDesk
from workflows.engine.clarify import is_question
from workflows.models import Principal, RunRequest

EXIT_OK, EXIT_NO_ANSWER, EXIT_USAGE = 0, 1, 2
NEEDS_YES = (
    "crosswire: this plan changes things, and there is no terminal to ask whether to run it, "
    "so nothing was done; to run it, pass --yes"
)
NAME_IT = (
    "crosswire: there is no terminal to ask which one you meant, so nothing was done; "
    "name the customer more precisely, e.g. `{example}`"
)
WAITING_POLL_S = 0.2


# Whether to run a previewed plan: "run" or "cancel", asked of the person at the terminal.
Confirm = Callable[[Approval], Awaitable[PreviewChoice]]
# Which of a clarifying question's choices the person at the terminal means (None: none).
Choose = Callable[[Approval], Awaitable[int | None]]


async def answer_or_approval(
    services: Services, request: RunRequest, confirm: Confirm, choose: Choose
) -> RunAnswer | Approval:
    """The run's answer, or the approval it waits for: nobody can click in a terminal, so the
    run waits durably for the approver and finishes in ``crosswire serve``. A plan that
    changes things is first run or cancelled as ``confirm`` says, as the requester, and a
    question (which customer?) is answered as ``choose`` says."""
    handle = await services.engine.submit(request, audit_duplicates=False)
    answer = asyncio.ensure_future(services.engine.result(request, handle))
    try:
        while True:
            done, _ = await asyncio.wait({answer}, timeout=WAITING_POLL_S)
            if done:
                return answer.result()
            waiting = await services.desk.store.waiting_on(request.run_id)
            if waiting and is_question(waiting[0]):
                chosen = await choose(waiting[0])
                await QuestionDesk(services.desk).answer(
                    waiting[0].id, request.principal.email, chosen
                )
            elif waiting and waiting[0].is_preview:
                choice = await confirm(waiting[0])
                await PreviewDesk(services.desk).press(
                    waiting[0].id, request.principal.email, choice
                )
            elif waiting:
                return waiting[0]
    finally:
        answer.cancel()


@dataclass
class TerminalConfirm:
    """Asks ``Run? [y/N]`` on a terminal; with ``--yes`` runs without asking; with neither
    (input from a pipe or a file) cancels, and says to pass ``--yes`` (``refused`` is then
    true: the command was not used as it must be)."""

    services: Services
    yes: bool
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    refused: bool = False

    async def __call__(self, preview: Approval) -> PreviewChoice:
        if self.yes:
            return "run"
        print(preview_text(preview, self._name), file=sys.stderr)
        if not self.stdin.isatty():
            self.refused = True
            print(NEEDS_YES, file=sys.stderr)
            return "cancel"
        print("Run? [y/N] ", end="", file=sys.stderr, flush=True)
        line = await asyncio.to_thread(self.stdin.readline)
        return "run" if line.strip().lower() in ("y", "yes") else "cancel"

    async def choose(self, question: Approval) -> int | None:
        """A numbered prompt on a terminal; otherwise none, with a hint to name the
        customer more precisely."""
        print(question_text(question), file=sys.stderr)
        if not self.stdin.isatty():
            example = f"brief me on {question.items[0].summary}"
            print(NAME_IT.format(example=example), file=sys.stderr)
            return None
        none = len(question.items) + 1
        print(f"Which one? [1-{none}] ", end="", file=sys.stderr, flush=True)
        line = (await asyncio.to_thread(self.stdin.readline)).strip()
        picked = int(line) - 1 if line.isdigit() else -1
        return picked if 0 <= picked < len(question.items) else None

    def _name(self, email: str) -> str:
        found = self.services.directory.find_employee(email)
        return found.name if found is not None else email


def waiting_text(approval: Approval) -> str:
    return (
        f"Nothing is sent until then: run {approval.run_id} waits for approval "
        f"{approval.id}, and finishes in `crosswire serve` once it is decided "
        "(in its sandbox: `/as EMAIL`, then `/crosswire approvals`)."
    )


async def ask(
    settings: Settings, objective: str, *, email: str, as_json: bool, yes: bool = False
) -> int:
    """Print the answer; exit 0 for a briefing, a digest or help, 1 when there was none,
    2 for usage (a plan that changes things, with no terminal to ask and no ``--yes``).

    Progress lines are for a person watching: with JSON logging stderr holds only JSON."""
    reporter = TerminalReporter(show_progress=not as_json and not json_lines(settings.log_format))
    async with running(settings, {"cli": reporter}) as services:
        employee = services.directory.find_employee(email)
        if employee is None:
            print(
                f"crosswire: nobody with the email {email!r} is in the company directory "
                "(try dana.reyes@northwind.example)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        principal = Principal(email=employee.email, name=employee.name, roles=tuple(employee.roles))
        request = RunRequest.direct(objective, principal, received_at=services.clock.now())
        confirm = TerminalConfirm(services, yes)
        answer = await answer_or_approval(services, request, confirm, confirm.choose)
        if confirm.refused:
            return EXIT_USAGE
        if isinstance(answer, Approval):
            print(answer.model_dump_json(indent=2) if as_json else waiting_text(answer))
            return EXIT_OK
    print(
        answer.model_dump_json(indent=2)
        if as_json
        else answer_text(answer, ansi=wants_ansi(sys.stdout)),
        end="\n" if as_json else "",
    )
    ok = (
        isinstance(answer, Briefing | Digest)
        or (isinstance(answer, FreeFormAnswer) and answer.status != "unavailable")
        or (isinstance(answer, Notice) and answer.reason == "help")
    )
    return EXIT_OK if ok else EXIT_NO_ANSWER
