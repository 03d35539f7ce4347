"""Writing one follow-up email from what was found about a prospect (no I/O).

Why the prospect has not booked is read from their newest CRM activity, then from their
newest mail thread: a budget waiting for Q1, a security review, a reorganisation (from the
CRM or their own words), then a question they asked, material they asked for, an email of
ours they never answered, or nothing at all. Each reason has its own subject and paragraph,
filled in with what was found (the question quoted back, the documents the review needs); the
demo is pitched at what the person's role cares about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain import ContactActivity, ContactProfile, EmailThread, WebinarAttendance
from workflows.library.formatting import day

Reason = Literal["budget", "security", "timing", "question", "resources", "no_reply", "fresh"]
# (reason, words that reveal it), checked in this order against the CRM activity first
_ACTIVITY_SIGNS: Final[tuple[tuple[Reason, tuple[str, ...]], ...]] = (
    ("budget", ("budget", "q1", "fiscal", "funding")),
    ("security", ("security", "soc 2", "compliance", "data processing")),
    ("timing", ("reorg", "restructur", "on leave", "parental leave", "hiring freeze")),
)
_RESOURCE_WORDS: Final = ("slides", "recording", "case study", "documentation")
# (words in a job title, what a demo for that person should focus on)
_FOCUS: Final = (
    (("financ", "cfo", "procurement"), "the costs and the savings"),
    (("engineer", "architect", "platform", "it", "technology"), "the API and integrations"),
    (("support", "customer", "experience"), "how your support team would use it day to day"),
    (("operations", "coo"), "the effect on your operations' workload"),
)  # fmt: skip


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FollowUpInput(_Model):
    """One prospect and everything the other steps found (whole lists: joined by email)."""

    prospect: ContactProfile
    attendance: list[WebinarAttendance] = Field(default_factory=list)
    activities: list[ContactActivity] = Field(default_factory=list)
    threads: list[EmailThread] = Field(default_factory=list)


class FollowUpDraft(_Model):
    """One personal follow-up email, ready for ``email.send``; ``why`` says what it rests on."""

    to: str
    subject: str
    body: str
    account_id: str
    name: str
    company: str
    reason: Reason
    summary: str
    why: str


def draft_follow_up(inp: FollowUpInput) -> FollowUpDraft:
    """The email for one prospect, written from what was found about them."""
    who = inp.prospect
    email = who.email.lower()
    attended = next((a for a in inp.attendance if a.email.lower() == email), None)
    activity = _newest([a for a in inp.activities if a.contact_email.lower() == email])
    thread = _newest_thread([t for t in inp.threads if email in _lower(t.participants)])
    reason = _reason(activity, thread, email)
    webinar = attended.webinar if attended else "our recent webinar"
    facts = _Facts(who, webinar, attended, activity, thread)
    subject, middle, why = _WRITERS[reason](facts)
    first = who.name.split()[0]
    opening = (
        f'Thank you for joining "{webinar}" on {day(attended.attended_at)}.'
        if attended
        else "Thank you for your interest in Northwind Labs."
    )
    signature = who.owner_name.split()[0]
    body = f"Hi {first},\n\n{opening} {middle}\n\nBest,\n{signature}"
    seen = f"Attended {webinar} on {day(attended.attended_at)}" if attended else "Attended"
    return FollowUpDraft(
        to=who.email,
        subject=subject,
        body=body,
        account_id=who.account_id,
        name=who.name,
        company=who.company,
        reason=reason,
        summary=f"Email {who.name} ({who.title}, {who.company})",
        why=f"{seen}, no demo booked; {why}",
    )


@dataclass(frozen=True)
class _Facts:
    """What a writer may draw on for one prospect."""

    who: ContactProfile
    webinar: str
    attended: WebinarAttendance | None
    activity: ContactActivity | None
    thread: EmailThread | None

    @property
    def focus(self) -> str:
        return _focus(self.who.title)

    @property
    def noted(self) -> str:
        return f"CRM {day(self.activity.at)}: {self.activity.summary}" if self.activity else ""

    @property
    def thread_subject(self) -> str:
        subject = self.thread.subject if self.thread else self.webinar
        return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _budget(f: _Facts) -> tuple[str, str, str]:
    return (
        f"Planning for Q1: Northwind Labs for {f.who.company}",
        "I know budget for new tools is on hold until the new year, so there is no rush on "
        f"our side. If it helps, I can put together a one-page cost and savings estimate for "
        f"{f.who.company} to take into the budget discussion, and we could pencil in a short "
        f"demo on {f.focus} for January.",
        f"waiting on budget ({f.noted})",
    )


def _security(f: _Facts) -> tuple[str, str, str]:
    text = _text(f).lower()
    documents = (
        "our SOC 2 Type II report and our standard data processing agreement"
        if "soc 2" in text or "data processing" in text
        else "our security documentation"
    )
    return (
        f"Security documents for the review at {f.who.company}",
        f"I understand your security review has to finish before any vendor demo. I will send "
        f"{documents} this week so the review is not waiting on us; once it is done, a demo "
        f"on {f.focus} is a 30-minute call.",
        f"in a security review ({f.noted or _last_line(f)})",
    )


def _timing(f: _Facts) -> tuple[str, str, str]:
    return (
        f"When the time is right at {f.who.company}",
        "I know things are changing at your end, so I will keep this short: once the new team "
        f"is settled, a 30-minute demo on {f.focus} could help them start on the right foot. "
        "Just reply whenever the timing suits you.",
        f"timing ({f.noted or _last_line(f)})",
    )


def _question(f: _Facts) -> tuple[str, str, str]:
    asked = f.thread.snippet if f.thread else ""
    return (
        f.thread_subject,
        f"You asked: \u201c{asked}\u201d The quickest way to answer that properly is to show "
        f"it with your own setup: would a 30-minute demo next week work? I will bring one of "
        "our solutions engineers.",
        f"asked a question by email ({_last_line(f)})",
    )


def _resources(f: _Facts) -> tuple[str, str, str]:
    asked = f.thread.snippet.lower() if f.thread else ""
    if "case study" in asked:
        offer = "I am attaching a case study from a company of a similar size to yours"
    elif "slides" in asked or "recording" in asked:
        offer = "Here are the slides and the recording of the session, for you and your team"
    else:
        offer = "Here is the material you asked for"
    return (
        f.thread_subject,
        f"{offer}. If it raises questions, a 30-minute demo on {f.focus} is the easiest way "
        "to go through them; would next week work?",
        f"asked for material ({_last_line(f)})",
    )


def _no_reply(f: _Facts) -> tuple[str, str, str]:
    sent = day(f.thread.last_at) if f.thread else "a while ago"
    return (
        f"Following up: a short demo for {f.who.company}",
        f"I wrote to you on {sent} about a short demo and did not want it to get lost in your "
        f"inbox. Now that you have seen the session, a 30-minute look at {f.focus} might be "
        "useful; would a slot next week suit you?",
        f"no reply to our email of {sent}",
    )


def _fresh(f: _Facts) -> tuple[str, str, str]:
    return (
        f"Following up on {f.webinar}",
        f"If what you saw is relevant for {f.who.company}, I would be happy to show you in "
        f"30 minutes how it would work for you, focusing on {f.focus}. Would next week work?",
        "no recent activity or email",
    )


_WRITERS: Final = {
    "budget": _budget,
    "security": _security,
    "timing": _timing,
    "question": _question,
    "resources": _resources,
    "no_reply": _no_reply,
    "fresh": _fresh,
}


def _reason(activity: ContactActivity | None, thread: EmailThread | None, email: str) -> Reason:
    """Why this prospect has not booked, as far as the CRM and the mail tell."""
    texts = [activity.summary.lower()] if activity else []
    if thread and thread.last_from.lower() == email:
        texts.append(f"{thread.subject} {thread.snippet}".lower())
    for reason, words in _ACTIVITY_SIGNS:
        if any(w in text for text in texts for w in words):
            return reason
    if thread is None:
        return "fresh"
    if thread.last_from.lower() != email:
        return "no_reply"
    if any(w in thread.snippet.lower() for w in _RESOURCE_WORDS):
        return "resources"
    return "question" if "?" in thread.snippet else "fresh"


def _focus(title: str) -> str:
    words = title.lower().replace(",", " ").split()
    for signs, focus in _FOCUS:
        if any(w.startswith(s) for w in words for s in signs):
            return focus
    return "what matters most to your team"


def _text(f: _Facts) -> str:
    parts = [f.activity.summary if f.activity else ""]
    parts += [f"{f.thread.subject} {f.thread.snippet}" if f.thread else ""]
    return " ".join(parts)


def _last_line(f: _Facts) -> str:
    if f.thread is None:
        return "no email"
    return f'last email {day(f.thread.last_at)}, "{f.thread.subject}"'


def _newest(activities: Sequence[ContactActivity]) -> ContactActivity | None:
    return max(activities, key=lambda a: a.at, default=None)


def _newest_thread(threads: Sequence[EmailThread]) -> EmailThread | None:
    return max(threads, key=lambda t: t.last_at, default=None)


def _lower(emails: Sequence[str]) -> set[str]:
    return {e.lower() for e in emails}
