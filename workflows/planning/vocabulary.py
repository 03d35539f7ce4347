"""The English words the offline planner reads requests with (lower case, one word each)."""

from __future__ import annotations

from typing import Final


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Verbs that ask for something to be done in a system: none of them is possible yet.
ACTION_VERBS: Final = _words(
    "send email e-mail mail message dm text ping notify forward share post reply respond write "
    "draft compose schedule reschedule book cancel invite arrange organise organize setup "
    "update change edit modify set mark move close reopen create add log delete remove archive "
    "assign reassign escalate give offer apply approve reject sign renew extend upgrade "
    "downgrade refund credit charge invoice bill pay discount call phone ring remind tell "
    "file submit raise transfer merge export import"
)
# After a verb, these make it a noun: "my call with", "an update on", "email threads".
NOUN_FOLLOWERS: Final = _words(
    "on about from with re regarding of for , ; : ! ? threads thread history activity"
) | {""}
# "send me …", "tell us …": asked for the requester, which is being told, not an action;
# except for verbs whose object is the requester ("remind me", "book me").
TO_ME: Final = frozenset({"me", "us", "myself"})
ACTS_ON_ME: Final = _words("remind invite call phone ring book schedule add assign")
BRIEFING_NOUNS: Final = _words(
    "brief briefing rundown run-down overview summary update updates status info information "
    "details lowdown background context picture 360 report recap digest snapshot speed"
)
TELLING_WORDS: Final = _words("about on what what's how how's who when where why everything")
# Words after which a new clause (and maybe a new request) begins.
CLAUSE_WORDS: Final = frozenset({",", ";", ":", "!", "?", "then", "and", "to", "also", "please"})
# Words before a clause's verb that do not change what is asked.
LEAD_INS: Final = _words(
    "hey hi hello ok okay so yo please pls plz kindly can could would will you u i i'd i'm "
    "need want like to go ahead and also now then quickly just help let's lets remind me "
    "crosswire"
)
HELP_PHRASES: Final = frozenset(
    {
        "help",
        "?",
        "help me",
        "help please",
        "can you help",
        "how can you help",
        "what can i ask",
        "what can i ask you",
        "what can you do",
        "what do you do",
        "who are you",
        "what are you",
        "how does this work",
        "how do i use you",
        "commands",
        "usage",
        "hi",
        "hello",
        "hey",
        "hi there",
        "hello there",
        "good morning",
        "good afternoon",
    }
)
# A word naming a topic of a briefing → the system it comes from.
FOCUS_TOPICS: Final = {
    "renewal": "contracts",
    "renewals": "contracts",
    "contract": "contracts",
    "contracts": "contracts",
    "terms": "contracts",
    "tickets": "support",
    "ticket": "support",
    "support": "support",
    "issues": "support",
    "outage": "support",
    "escalations": "support",
    "deals": "crm",
    "deal": "crm",
    "pipeline": "crm",
    "expansion": "crm",
    "opportunity": "crm",
    "owner": "crm",
    "emails": "email",
    "email": "email",
    "threads": "email",
    "usage": "usage",
    "adoption": "usage",
    "invoices": "billing",
    "invoice": "billing",
    "billing": "billing",
    "payments": "billing",
    "overdue": "billing",
}
# Words of a request that are not part of a customer's name.
FILLER: Final = _words(
    """a an the me my our us i we you your please pls can could would will hey hi hello and
    crosswire brief briefing briefed prep prepare preparing ready get give quick short full
    send catch up what what's whats how how's hows is are doing going on new happening status
    update overview rundown run-down summary summarize summarise tell about background lowdown
    context info everything 360 with for of to re regarding around customer account call
    meeting meetings sync demo qbr check-in checkin chat visit renewal kickoff review today
    today's tomorrow tomorrow's tonight morning afternoon evening this next upcoming speed
    anything know should need latest there it"""
)
# Capitalised words that may follow a customer's name without being part of it.
CALENDAR: Final = _words(
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december"
)
