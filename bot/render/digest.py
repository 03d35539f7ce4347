"""Block Kit (and terminal text) for the meetings digest.

One section per meeting: its time (Slack-formatted, so each reader sees it in their own time
zone, the digest's zone as the fallback), title and customer, then its three lines, with a
"Full briefing" button whose value is the customer's account id (the click is handled in
:mod:`bot.listeners.digest`). A day without customer meetings says so in one line. Values go
through :mod:`bot.render.mrkdwn`, blocks through :mod:`bot.render.kit`; the answer renderer
(:func:`bot.render.blocks.answer_rendering`) puts :func:`digest_fallback` and
:func:`digest_blocks` together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from slack_sdk.models.blocks import Block, SectionBlock

from bot.render import kit, limits
from bot.render.mrkdwn import bold, code, plain
from workflows.answers import Digest, DigestLine, DigestMeeting
from workflows.library.digest import zone_of

FULL_BRIEFING: Final = "digest_full_briefing"
BUTTON_LABEL: Final = "Full briefing"
TIME_FORMAT: Final = "{time}"
LINE_ICON: Final = {"deal": ":moneybag:", "owner": ":bust_in_silhouette:"}
CONCERN_ICON: Final = {"high": ":red_circle:", "medium": ":large_orange_circle:"}


def _when(at: datetime, tz: str) -> str:
    """``14:00`` in the reader's time zone; the digest's as the fallback."""
    local = at.astimezone(zone_of(tz))
    return f"<!date^{int(at.timestamp())}^{TIME_FORMAT}|{local:%H:%M}>"


def _day(digest: Digest) -> str:
    return f"{digest.day:%a} {digest.day.day} {digest.day:%b}"


def heading(digest: Digest) -> str:
    if digest.scope == "team":
        return f"Customer meetings today: {digest.whose}"
    return "Your customer meetings today"


def digest_fallback(digest: Digest) -> str:
    count = len(digest.meetings)
    if not count:
        return kit.fallback(f"No customer meetings today ({plain(digest.whose)}).")
    noun = "customer meeting" if count == 1 else "customer meetings"
    down = digest.unavailable
    missing = f"; unavailable: {plain(', '.join(down))}" if down else ""
    return kit.fallback(f"{count} {noun} today ({plain(digest.whose)}){missing}.")


def digest_blocks(digest: Digest) -> list[Block]:
    blocks: list[Block] = [
        kit.header(heading(digest)),
        kit.context(
            f"{plain(_day(digest))} · times shown in your own time zone · run {code(digest.run_id)}"
        ),
    ]
    if not digest.meetings:
        blocks.append(kit.section(_nothing(digest)))
        return blocks
    blocks.extend(meeting_block(m, digest.tz) for m in digest.meetings)
    if digest.unavailable:
        down = plain(", ".join(digest.unavailable))
        blocks.append(kit.context(f":x: Unavailable for some meetings: {down}"))
    return blocks


def _nothing(digest: Digest) -> str:
    who = "you have" if digest.scope == "me" else f"{plain(digest.whose)} has"
    return (
        f"*No customer meetings today.* Nothing with a customer on the calendar for the rest of "
        f"{plain(_day(digest))}: {who} no meeting with anyone from outside the company."
    )


def meeting_block(meeting: DigestMeeting, tz: str) -> SectionBlock:
    """A meeting's section: when and what, its three lines, and the briefing button."""
    span = f"{_when(meeting.starts_at, tz)}–{_when(meeting.ends_at, tz)}"
    head = f"*{span}* · {bold(limits.cut(meeting.title, limits.INLINE_VALUE))}"
    lines = [head, *(_line(line) for line in meeting.lines)]
    accessory = None
    if meeting.account is not None:
        accessory = kit.button(BUTTON_LABEL, FULL_BRIEFING, meeting.account.account_id)
    return SectionBlock(text=kit.mrkdwn("\n".join(lines)), accessory=accessory)


def _line(line: DigestLine) -> str:
    if line.status == "unavailable":
        icon = ":x:"
    elif line.key == "concern":
        icon = CONCERN_ICON[line.severity] if line.severity else ":white_check_mark:"
    else:
        icon = LINE_ICON[line.key]
    text = f"{icon} {plain(line.text)}"
    if line.missing and line.status != "unavailable":
        text += f" _({plain(', '.join(line.missing))} did not answer)_"
    return text


def digest_text(digest: Digest) -> str:
    """The digest for a terminal (``crosswire ask``): times in the digest's time zone."""
    lines = [f"{heading(digest)} ({_day(digest)}, {digest.tz})", f"run {digest.run_id}", ""]
    if not digest.meetings:
        lines.append("No customer meetings today.")
    for m in digest.meetings:
        start, end = (t.astimezone(zone_of(digest.tz)) for t in (m.starts_at, m.ends_at))
        lines.append(f"{start:%H:%M}-{end:%H:%M}  {m.title}")
        for line in m.lines:
            missing = f" ({', '.join(line.missing)} did not answer)" if line.missing else ""
            lines.append(f"  - {line.text}{missing}")
        if m.account is not None:
            lines.append(f"  full briefing: brief me on {m.account.name}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


__all__ = [
    "BUTTON_LABEL",
    "FULL_BRIEFING",
    "digest_blocks",
    "digest_fallback",
    "digest_text",
    "meeting_block",
]
