"""The vocabulary of a run: who asked, what for, from where, and how to answer them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Principal(Model):
    """Who asked: a person at the seller, resolved from their chat identity.

    Roles decide what they may see and approve (the access layer reads them).
    """

    email: str
    name: str
    roles: tuple[str, ...] = ()
    slack_user_id: str | None = None
    tz: str | None = Field(default=None, description="IANA time zone, e.g. America/New_York")


TriggerKind = Literal["slack_mention", "slack_dm", "slack_command", "cli", "schedule"]


class ReplyTarget(Model):
    """Where progress and the answer go. ``channel`` is empty for the CLI.

    ``user_id`` is who asked (what concerns only them is shown to them alone);
    ``response_url`` is a slash command's way back to that person, which works even where
    the bot may not post."""

    kind: Literal["slack", "cli"]
    channel: str = ""
    thread_ts: str | None = None
    user_id: str | None = None
    response_url: str | None = None
    # A scheduled delivery shows only its answer: no progress message in the channel or DM.
    progress: bool = True


class Occasion(Model):
    """The meeting a scheduled briefing is for, as its header shows it: the title, the start
    in the recipient's time zone, and who attends from each side (names)."""

    meeting_id: str
    title: str
    starts_at: datetime
    tz: str = "UTC"
    ours: tuple[str, ...] = ()
    theirs: tuple[str, ...] = ()


class Objective(Model):
    """What someone asked for, in their words, with where it came from."""

    text: str
    trigger: TriggerKind
    trigger_id: str = Field(
        description="Stable id of the trigger: Slack event id, schedule fire id"
    )
    reply: ReplyTarget
    received_at: datetime
    occasion: Occasion | None = None


class RunRequest(Model):
    """Everything a run needs to start: the objective and the requester."""

    run_id: str
    objective: Objective
    principal: Principal

    @classmethod
    def direct(
        cls, text: str, principal: Principal, *, received_at: datetime, run_id: str | None = None
    ) -> RunRequest:
        """A request typed outside chat (``crosswire ask``), received at ``received_at`` (the
        composition root's clock): the answer goes to the caller."""
        run_id = run_id or f"cli-{uuid4().hex[:12]}"
        objective = Objective(
            text=text,
            trigger="cli",
            trigger_id=run_id,
            reply=ReplyTarget(kind="cli"),
            received_at=received_at,
        )
        return cls(run_id=run_id, objective=objective, principal=principal)
