"""Values in Slack's mrkdwn: escaped, kept from formatting, and dates each reader sees locally.

Slack asks for exactly three characters to be escaped: ``&``, ``<`` and ``>`` (as HTML
entities). It offers no escape for its formatting characters (``*``, ``_``, ``~``, `````), so a
customer named ``*Star* Corp`` would turn bold. What works, and what jsx-slack's ``<Escape>``
does, is to send such a character as the fallback of an invalid date token
(``<!date^00000000^{_}|*>``): Slack shows a fallback as plain text, so the reader sees the
character itself, unformatted, and copies it as typed. Zero-width spaces do the opposite
(they make Slack format mid-word markers). A marker between two letters or digits
(``snake_case``, ``alex_morgan@…``) never formats, so it is left as it is.

slack_sdk has no helper for any of this (it escapes nothing in text), so it lives here. Only
data goes through these functions; Crosswire's own formatting is written around them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# One marker: not between two word characters, or any backtick.
_MARKER = re.compile(r"(?<!\w)[*_~]|[*_~](?!\w)|`")
_LITERAL = "<!date^00000000^{{_}}|{char}>"
# A line that starts with `>` (escaped or not) is a quote in Slack; a soft hyphen stops it.
_QUOTE_START = re.compile(r"^(?=&gt;)", re.MULTILINE)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_GRAVE_LOOKALIKE = "\u02cb"
SOFT_HYPHEN = "\u00ad"

DATE_FORMAT = "{date_short_pretty} {time}"


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as Slack's entities; everything else as it is."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """A data value (or plain text built from data) as mrkdwn that renders exactly as ``text``:
    escaped, formatting characters shown as themselves, on one line."""
    one_line = " ".join(text.split()) if "\n" in text else text
    return _neutralise(escape(one_line))


def prose(text: str) -> str:
    """Plain text in which `` `…` `` marks a literal (a command to type, a run id): the marked
    parts become code, everything else is :func:`plain`, line breaks are kept."""
    parts: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_QUOTE_START.sub(SOFT_HYPHEN, _neutralise(escape(text[last : span.start()]))))
        parts.append(code(span.group(1)))
        last = span.end()
    parts.append(_QUOTE_START.sub(SOFT_HYPHEN, _neutralise(escape(text[last:]))))
    return "".join(parts)


def bold(value: str) -> str:
    """``value`` in bold; its own characters never end or extend the bold."""
    return f"*{plain(value)}*"


def code(value: str) -> str:
    """``value`` as inline code. Nothing formats inside code, but a backtick would end it, so
    backticks become a look-alike."""
    return f"`{escape(value.replace('`', _GRAVE_LOOKALIKE))}`"


def date(at: datetime, fmt: str = DATE_FORMAT) -> str:
    """``at`` in each reader's own time zone (Slack's date formatting), with a UTC fallback for
    clients that cannot format it (``Tue, Dec 1, 10:26 UTC``)."""
    return f"<!date^{int(at.timestamp())}^{fmt}|{utc_fallback(at)}>"


def utc_fallback(at: datetime) -> str:
    """``at`` in UTC, saying so: ``Tue, Dec 1, 10:26 UTC``."""
    utc = at.astimezone(UTC)
    return f"{utc:%a}, {utc:%b} {utc.day}, {utc:%H:%M} UTC"


def _neutralise(escaped: str) -> str:
    return _MARKER.sub(lambda m: _LITERAL.format(char=m.group()), escaped)
