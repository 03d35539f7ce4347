"""The actions the offline planner knows by their words: today, the webinar follow-up.

"Follow up with prospects who attended last week's webinar but haven't booked a demo" (and
its variants: "follow-up", "followup", "chase", "nudge") is read as that workflow whatever
else the sentence says; anything else that asks for an action is answered as one the bot
cannot take without a model.
"""

from __future__ import annotations

import re

_FOLLOW = re.compile(r"\b(follow[\s-]?ups?|chase|nudge|reach out to|email)\b", re.IGNORECASE)
_WEBINAR = re.compile(r"\bwebinars?\b", re.IGNORECASE)


def asks_webinar_follow_up(text: str) -> bool:
    """Whether ``text`` asks to follow up with webinar attendees."""
    return bool(_FOLLOW.search(text) and _WEBINAR.search(text))
