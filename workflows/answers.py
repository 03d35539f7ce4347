"""What a run answers with: a briefing, a digest of the day's customer meetings, the answer to
a free-form question, or a notice (help, an unknown customer, a refusal).

Answers are plain data; the edge renders them as Block Kit, terminal text or JSON.
"""

from __future__ import annotations

from datetime import date, datetime
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


class Citation(Model):
    """Where a written statement came from: a step of the run's plan and its system, by the
    system's display name, with a link where the system has one."""

    step: str
    system: str
    source: str
    url: str | None = None


StatementForm = Literal["sentence", "bullet", "warning"]


class Statement(Model):
    """One statement of a written answer: a sentence of its opening paragraph, a bullet, or a
    "watch out for" warning, citing every step it was drawn from."""

    text: str
    form: StatementForm
    cites: tuple[Citation, ...]


class Synthesis(Model):
    """The answer as a model wrote it from the outputs of the run's steps (and only those):
    a headline and statements, each citing the steps it came from."""

    model: str
    headline: str
    statements: tuple[Statement, ...]

    @property
    def sources(self) -> list[Citation]:
        """Every system cited, first cited first, once each."""
        return list({c.system: c for s in self.statements for c in s.cites}.values())


class Briefing(Model):
    """A briefing on one account. ``synthesis`` is the model's writing of it (the sections
    stay, as its evidence); ``note`` one line on how it was written when the model could not
    write it."""

    kind: Literal["briefing"] = "briefing"
    run_id: str
    account: AccountRef
    generated_at: datetime
    sections: tuple[Section, ...]
    concerns: tuple[Concern, ...] = ()
    occasion: Occasion | None = None
    synthesis: Synthesis | None = None
    note: str = ""

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


DigestScope = Literal["me", "team"]
DigestLineKey = Literal["deal", "concern", "owner"]


class DigestLine(Model):
    """One of a digest meeting's three lines: the deal (stage and amount), the top concern,
    the owner. ``unavailable``: a system it needs did not answer, and ``text`` says which;
    ``missing`` names (by label) every system the line could not draw on."""

    key: DigestLineKey
    text: str
    status: Literal["ok", "empty", "unavailable"]
    sources: tuple[str, ...] = ()
    severity: Literal["high", "medium"] | None = None
    missing: tuple[str, ...] = ()


class DigestMeeting(Model):
    """One customer meeting of a digest. ``ours`` are the seller's attendees (names),
    ``theirs`` the guests (email addresses); ``account`` is None when no customer account
    matches the guests (there is then no briefing to offer)."""

    meeting_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    account: AccountRef | None = None
    ours: tuple[str, ...] = ()
    theirs: tuple[str, ...] = ()
    lines: tuple[DigestLine, ...] = ()


class Digest(Model):
    """The day's customer meetings of a person (``scope`` "me") or of the people they manage
    and themselves ("team"), soonest first. ``whose`` names them as the header says it;
    ``day`` is the date in ``tz`` the digest covers."""

    kind: Literal["digest"] = "digest"
    run_id: str
    scope: DigestScope
    whose: str
    day: date
    tz: str = "UTC"
    generated_at: datetime
    meetings: tuple[DigestMeeting, ...] = ()

    @property
    def unavailable(self) -> list[str]:
        """The systems that did not answer for at least one meeting (their labels)."""
        return list(
            dict.fromkeys(s for m in self.meetings for line in m.lines for s in line.missing)
        )


class SourcedFact(Model):
    """One short statement of a free-form answer, citing the plan step it was read from and
    that step's system (by its label), with the record's id where it has one."""

    text: str
    step: str
    source: str
    record: str | None = None


class Finding(Model):
    """One entry of a free-form answer's main list (an account found), with the evidence
    about it, each fact from the step and system it came from."""

    title: str
    facts: tuple[SourcedFact, ...] = ()


class MissingStep(Model):
    """A step whose result a free-form answer lacks (it failed, timed out, or some of its
    calls did), named by its step, what it was for and its system's label."""

    step: str
    title: str
    source: str
    reason: str


FreeFormStatus = Literal["complete", "partial", "unavailable"]


class FreeFormAnswer(Model):
    """The answer to a question that no built-in workflow serves, written from any plan's
    results: ``findings`` are the final step's records, ``total`` how many there were (the
    findings may be fewer), ``context`` what the other steps found, ``missing`` the steps that
    failed. ``status`` "partial": something is missing; "unavailable": the final step itself
    has no result. ``written_by`` says whether a template or a model wrote it (the model's
    text is ``synthesis``); ``note`` is one line on how it was written when the model could
    not write it."""

    kind: Literal["answer"] = "answer"
    run_id: str
    title: str
    generated_at: datetime
    status: FreeFormStatus
    summary: str
    findings: tuple[Finding, ...] = ()
    total: int = 0
    context: tuple[SourcedFact, ...] = ()
    missing: tuple[MissingStep, ...] = ()
    written_by: Literal["template", "model"] = "template"
    synthesis: Synthesis | None = None
    note: str = ""


# Every kind of answer a run gives; a new kind is added here, and only here.
RunAnswer = Briefing | Notice | Digest | FreeFormAnswer
# The same, read back from JSON (a checkpoint, the audit) by its ``kind``.
AnyAnswer = Annotated[RunAnswer, Field(discriminator="kind")]
