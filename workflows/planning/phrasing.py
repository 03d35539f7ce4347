"""Reading what people type (in English): what they want, once the customers are taken out.

The customers a message names are found first (a :class:`~workflows.ports.CustomerFinder`);
what is left says what is wanted: a briefing ("how is Acme doing?", "prep me for my call with
Alex Morgan", or nothing at all: "Acme"), an action the bot cannot take yet ("email Acme the
contract"), help, thanks, or something it does not understand. Words about a focus
("especially the renewal") are read as a focus, words about time ("before my 2pm") are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from workflows.planning.vocabulary import (
    ACTION_VERBS,
    ACTS_ON_ME,
    BRIEFING_NOUNS,
    CALENDAR,
    CLAUSE_WORDS,
    FILLER,
    FOCUS_TOPICS,
    HELP_PHRASES,
    LEAD_INS,
    NOUN_FOLLOWERS,
    TELLING_WORDS,
    TO_ME,
)

_SLACK_MENTION = re.compile(r"<[@#!][^>]*>")
_SLACK_LINK = re.compile(r"<(?:mailto:|https?://)?([^>|]+)(?:\|([^>]+))?>")
_OWN_NAME = re.compile(r"^\s*(?:[@/]crosswire\b[:,]?\s*)+", re.IGNORECASE)
_TIME = re.compile(r"^\d{1,2}([:.]\d{2})?(am|pm|h)?$|^(am|pm|noon|midnight)$", re.IGNORECASE)
_TOKEN = re.compile(r"[\w'’.@-]+|[,;:!?]")
_THANKS = re.compile(r"^(thanks|thank\s+you|thx|ty|cheers|much\s+appreciated)\b", re.IGNORECASE)
_BRIEFING = re.compile(
    r"\b(brief|briefing|briefed|prep|prepare|ready|catch\s+me\s+up|up\s+to\s+speed|what'?s\s+"
    r"(going\s+on|new|happening|up)|status|update|overview|rundown|run-down|360|tell\s+me\s+"
    r"about|summar(y|ize|ise)|background|lowdown|context|info|everything)\b",
    re.IGNORECASE,
)
CUSTOMER = "__customer__"
_CUT_AFTER = frozenset({"before", "ahead", "prior", "at", "by", "in"})
_FOCUS_CUES = re.compile(
    r"\b(especially|particularly|in\s+particular|focus(ing)?\s+on|mainly|mostly|esp)\b",
    re.IGNORECASE,
)

Intent = Literal["briefing", "action", "help", "thanks", "unknown"]


@dataclass(frozen=True)
class Reading:
    """What a message asks for, without its customers. ``verb`` is the action asked for;
    ``focus`` the systems the requester cares most about; ``subject`` a name that was typed
    but matched no customer ("" when none was typed)."""

    intent: Intent
    verb: str = ""
    focus: tuple[str, ...] = ()
    subject: str = ""


def clean_text(text: str) -> str:
    """Slack's markup undone: mentions dropped, links replaced by their label or target,
    ``&amp;``/``&lt;``/``&gt;`` unescaped, a leading ``@crosswire`` dropped.

    For text as Slack delivers it; text typed elsewhere goes through :func:`tidy` only."""
    text = _SLACK_MENTION.sub(" ", text)
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    # Slack escapes exactly these three; "&amp;" last, so "&amp;lt;" stays the text "&lt;".
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return tidy(text)


def tidy(text: str) -> str:
    """Whitespace collapsed and the bot's own name dropped from the front (``@crosswire``,
    ``/crosswire``), as people type it in a sandbox or paste it from the docs."""
    return " ".join(_OWN_NAME.sub(" ", text).split())


def is_help(text: str) -> bool:
    return _words_of(text) in HELP_PHRASES or not _words_of(text)


def without(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each span (a customer's name) replaced by a placeholder word."""
    for start, end in sorted(spans, reverse=True):
        text = f"{text[:start]} {CUSTOMER} {text[end:]}"
    return text


def read(rest: str, *, customers: int) -> Reading:
    """What ``rest`` (a message with its ``customers`` replaced by placeholders) asks for."""
    words = _tokens(rest)
    verb = _action_verb(words)
    if verb:
        return Reading("action", verb=verb)
    focus = _focus(words)
    if customers:
        return Reading("briefing", focus=focus)
    if is_help(rest):
        return Reading("help")
    if _THANKS.match(rest.strip()):
        return Reading("thanks")
    subject = _subject(words)
    if _BRIEFING.search(rest) or _looks_like_a_name(words, subject):
        return Reading("briefing", focus=focus, subject=subject)
    return Reading("unknown")


def _tokens(text: str) -> list[str]:
    found = (t.lower().strip("'’.") for t in _TOKEN.findall(text))
    return [t.removesuffix("'s").removesuffix("’s") for t in found if t]


def _words_of(text: str) -> str:
    return " ".join(t for t in _tokens(text) if t not in ",;:!?")


def _action_verb(words: list[str]) -> str:
    """The action a clause asks for ("send", "schedule"), or "" when it asks for none.

    A verb counts at the start of a clause (after "can you", "please", "and then", "I need
    to"); used as a noun ("my call with", "an update on", "Acme update") it does not, nor
    when it asks to be told something ("send me a briefing", "tell me about Acme")."""
    for i, word in enumerate(words):
        if word not in ACTION_VERBS or not _clause_start(words, i):
            continue
        following = words[i + 1] if i + 1 < len(words) else ""
        if following in NOUN_FOLLOWERS or _to_be_told(word, following, words[i + 2 :]):
            continue
        return word
    return ""


def _to_be_told(verb: str, following: str, rest: list[str]) -> bool:
    """ "Send me a rundown", "tell me about …": the requester asks to be told something."""
    if following not in TO_ME or verb in ACTS_ON_ME:
        return False
    return any(w in BRIEFING_NOUNS or w in TELLING_WORDS for w in rest)


def _clause_start(words: list[str], i: int) -> bool:
    j = i
    while j > 0 and words[j - 1] in LEAD_INS:
        if words[j - 1] in CLAUSE_WORDS:
            return True
        j -= 1
    return j == 0 or words[j - 1] in CLAUSE_WORDS or (j == 1 and words[0] == CUSTOMER)


def _focus(words: list[str]) -> tuple[str, ...]:
    """Systems named as a focus ("especially the renewal and the open tickets")."""
    text = " ".join(words)
    cue = _FOCUS_CUES.search(text)
    tail = text[cue.end() :].split() if cue else words
    found = (FOCUS_TOPICS[w] for w in tail if w in FOCUS_TOPICS)
    return tuple(dict.fromkeys(found))


def _subject(words: list[str]) -> str:
    """The customer a request names when no customer matched it: what is left once the
    words of the request, the meeting and the time are taken away."""
    kept: list[str] = []
    for word in words:
        if word in _CUT_AFTER and kept:
            break
        if _FOCUS_CUES.fullmatch(word) and kept:
            break
        if word in FILLER or word in ",;:!?" or _TIME.match(word) or word == CUSTOMER:
            continue
        kept.append(word)
    return " ".join(kept)


def _looks_like_a_name(words: list[str], subject: str) -> bool:
    """Nothing but a name was typed ("Globex Industries"): no request words at all."""
    content = [w for w in words if w not in ",;:!?"]
    if any(w in ACTION_VERBS or w in FOCUS_TOPICS for w in content):
        return False
    return bool(subject) and len(content) == len(subject.split()) and len(content) <= 4


def name_goes_on(text: str, end: int) -> str:
    """The longer name typed when a customer's name is followed by a capitalised word that is
    not a word of requests ("Acme Health"): someone else, perhaps; "" when the name ends."""
    following = re.match(r"\s+([A-Z][a-z]+)\b", text[end:])
    if following is None:
        return ""
    word = following.group(1).lower()
    known = FILLER | LEAD_INS | ACTION_VERBS | CALENDAR | FOCUS_TOPICS.keys() | TELLING_WORDS
    return "" if word in known or _TIME.match(word) else following.group(1)


def typed_subject(text: str, words: Sequence[str] = ()) -> str:
    """The subject as typed, its case kept, for notices ("Globex Industries")."""
    lowered = {w.lower() for w in words}
    kept = [t.strip("?!,;:\"'()[]") for t in text.split()]
    kept = [t.removesuffix("'s").removesuffix("’s") for t in kept]
    return " ".join(t for t in kept if t.lower().strip("'’.") in lowered)
