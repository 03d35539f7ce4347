"""Reading what people type: is it a briefing request, and about which customer?

People phrase one request many ways ("brief me on Acme before my 2pm", "prep me for my Acme
call", "what's going on with ACME?", "brief acme.io"). The subject is what is left once the
words of the request, the meeting and the time are taken away.
"""

from __future__ import annotations

import re

_SLACK_MENTION = re.compile(r"<[@#!][^>]*>")
_SLACK_LINK = re.compile(r"<(?:mailto:|https?://)?([^>|]+)(?:\|([^>]+))?>")
_TIME = re.compile(r"^\d{1,2}([:.]\d{2})?(am|pm|h)?$|^(am|pm|noon|midnight)$", re.IGNORECASE)

BRIEFING_INTENT = re.compile(
    r"\b(brief|briefing|briefed|prep|prepare|ready|catch\s+me\s+up|what'?s\s+(going\s+on|new|"
    r"happening|up)|status|update|overview|rundown|run-down|360|tell\s+me\s+about|summar(y|ize|"
    r"ise)|background|lowdown|context|info|everything)\b",
    re.IGNORECASE,
)
HELP_INTENT = re.compile(r"^\s*(help|\?|what can you do\??|commands|usage)\s*$", re.IGNORECASE)

_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "me",
        "my",
        "our",
        "us",
        "i",
        "we",
        "you",
        "your",
        "please",
        "pls",
        "can",
        "could",
        "would",
        "will",
        "hey",
        "hi",
        "hello",
        "crosswire",
        "brief",
        "briefing",
        "briefed",
        "prep",
        "prepare",
        "preparing",
        "ready",
        "get",
        "give",
        "quick",
        "short",
        "full",
        "send",
        "catch",
        "up",
        "what",
        "what's",
        "whats",
        "going",
        "on",
        "new",
        "happening",
        "status",
        "update",
        "overview",
        "rundown",
        "run-down",
        "summary",
        "summarize",
        "summarise",
        "tell",
        "about",
        "background",
        "lowdown",
        "context",
        "info",
        "everything",
        "360",
        "with",
        "for",
        "of",
        "on",
        "to",
        "about",
        "is",
        "are",
        "re",
        "regarding",
        "around",
        "customer",
        "account",
        "call",
        "meeting",
        "meetings",
        "sync",
        "demo",
        "qbr",
        "check-in",
        "checkin",
        "chat",
        "visit",
        "renewal",
        "kickoff",
        "review",
        "today",
        "today's",
        "tomorrow",
        "tomorrow's",
        "tonight",
        "morning",
        "afternoon",
        "evening",
        "this",
        "next",
        "upcoming",
    ]
)
_CUT_AFTER = frozenset({"before", "ahead", "prior", "at", "by", "in"})


def clean_text(text: str) -> str:
    """Slack markup removed: mentions dropped, links replaced by their label or target."""
    text = _SLACK_MENTION.sub(" ", text)
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return " ".join(text.split())


def is_help(text: str) -> bool:
    return not text.strip() or bool(HELP_INTENT.match(text))


def is_briefing(text: str) -> bool:
    return bool(BRIEFING_INTENT.search(text))


def briefing_subject(text: str) -> str:
    """The customer a briefing request is about, as typed; empty when none is named."""
    kept: list[str] = []
    for raw in clean_text(text).split():
        word = raw.strip("?!,;:\"'()[]").removesuffix("'s").removesuffix("’s")
        lowered = word.lower()
        if lowered in _CUT_AFTER and kept:
            break
        if not word or lowered in _FILLER or _TIME.match(word):
            continue
        kept.append(word.rstrip("."))
    return " ".join(kept)
