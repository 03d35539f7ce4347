"""What the bot says it can do, and the examples it offers: one list for the help text, the
App Home, ``/crosswire help``, the README and the tests that try every example."""

from __future__ import annotations

from typing import Final

EXAMPLES: Final = (
    "brief me on Acme before my 2pm",
    "prep me for my call with Alex Morgan",
    "how is Quantum Freight doing?",
    "brief me on Lumen & Oak, especially the renewal",
    "/crosswire brief acme.io",
)
CAPABILITIES: Final = (
    "I build customer briefings from every system: CRM, mailbox, support desk, contracts, "
    "product usage and billing, with risks called out and every fact sourced."
)
ACTION_EXAMPLE: Final = (
    "follow up with prospects who attended last week's webinar but haven't booked a demo"
)
LANGUAGES: Final = "I understand English only, for now."
HELP_TEXT: Final = (
    f"{CAPABILITIES}\n"
    "Name a customer any way you like (a name, a domain, a contact's name or email) and say "
    "what you need: "
    + ", ".join(f"`{e}`" for e in EXAMPLES[:3])
    + f" or `{EXAMPLES[-1]}`. I can also draft the webinar follow-up, "
    f"`{ACTION_EXAMPLE}`: the emails wait for your manager's approval. "
    "`/crosswire approvals` shows what waits for you. "
    "`today's customer meetings` lists the day's meetings, each with its key facts. "
    "Anything I can answer can run on a timetable: "
    '`/crosswire schedule add "every weekday at 8am" today\'s customer meetings`; '
    "before each of your customer meetings you get its briefing in a DM "
    "(`/crosswire briefings off` or `lead 45m`). "
    f"{LANGUAGES}"
)
NEEDS_MODEL: Final = (
    "Questions beyond these need a language model: whoever runs Crosswire can set "
    "ANTHROPIC_API_KEY, and Claude then plans and answers them from every system."
)
CANNOT_ACT: Final = (
    "Besides briefings, the one thing I can do today is the webinar follow-up: I can't send "
    "or change anything else yet. To run a request on a timetable, use "
    '`/crosswire schedule add "WHEN" REQUEST`.'
)
