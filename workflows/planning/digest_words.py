"""The words that ask for the meetings digest, and whose meetings they mean.

"Today's customer meetings", "customer meetings today", "my meetings today", "the team's
customer meetings today": meetings (plural) and today, with no customer named (a named one
asks for a briefing). "My team", "the team('s)", "everyone" ask for the team; "my", "me",
"I" for the asker alone. Said neither way, a person asking means their own meetings, and a
schedule that posts in a channel (not a DM) means the team's.
"""

from __future__ import annotations

import re

from workflows.answers import DigestScope
from workflows.models import Objective

_MEETINGS = re.compile(r"\bmeetings\b", re.IGNORECASE)
_TODAY = re.compile(r"\btoday(?:['’]s)?\b", re.IGNORECASE)
_TEAM = re.compile(r"\b(?:team(?:['’]s)?|everyone(?:['’]s)?|everybody(?:['’]s)?)\b", re.I)
_MINE = re.compile(r"\b(?:my|me|i|mine|i['’]ve)\b", re.IGNORECASE)


def asks_meetings_digest(text: str) -> bool:
    """Whether ``text`` asks for today's meetings (the caller checks no customer is named)."""
    return bool(_MEETINGS.search(text) and _TODAY.search(text))


def digest_scope(text: str, objective: Objective) -> DigestScope:
    """Whose meetings ``text`` asks for: the team's or the asker's own."""
    if _TEAM.search(text):
        return "team"
    if _MINE.search(text):
        return "me"
    channel = objective.reply.channel
    in_channel = objective.trigger == "schedule" and bool(channel) and not channel.startswith("D")
    return "team" if in_channel else "me"


__all__ = ["asks_meetings_digest", "digest_scope"]
