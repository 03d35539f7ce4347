"""What a run answers with: a briefing, or a notice (help, an unknown customer, a refusal).

Answers are plain data; the edge renders them as Block Kit, terminal text or JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain import AccountRef
from workflows.models import Occasion


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Fact(Model):
    """One statement in a briefing, with the system (and record) it came from."""

    text: str
    source: str
    record: str | None = None


SectionStatus = Literal["ok", "empty", "unavailable", "skipped"]


class Section(Model):
    """One system's part of a briefing. ``note`` says plainly why it is empty or missing."""

    key: str
    title: str
    source: str
    status: SectionStatus
    facts: tuple[Fact, ...] = ()
    note: str = ""


class Concern(Model):
    """A "watch out for" item, derived from facts in one or more systems."""

    text: str
    severity: Literal["high", "medium"]
    sources: tuple[str, ...]


class Briefing(Model):
    kind: Literal["briefing"] = "briefing"
    run_id: str
    account: AccountRef
    generated_at: datetime
    sections: tuple[Section, ...]
    concerns: tuple[Concern, ...] = ()
    occasion: Occasion | None = None

    @property
    def unavailable(self) -> list[Section]:
        return [s for s in self.sections if s.status == "unavailable"]


# "unsupported": a request for something the bot cannot do yet; "done": what a run that
# acted did (see workflows.library.actions).
NoticeReason = Literal[
    "help", "unknown_customer", "ambiguous", "not_allowed", "unsupported", "failed", "done"
]


class Notice(Model):
    """A short answer instead of a result: what went wrong or what the bot can do.

    ``title`` and ``text`` are plain text (they may quote what someone typed), never
    formatting; only `` `…` `` marks a literal to type, such as a command or a run id."""

    kind: Literal["notice"] = "notice"
    run_id: str = ""
    reason: NoticeReason
    title: str
    text: str
    suggestions: tuple[str, ...] = ()


Answer = Annotated[Briefing | Notice, Field(discriminator="kind")]
