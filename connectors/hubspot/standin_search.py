"""How HubSpot's CRM search reads a request, for the stand-in: which requests it refuses
(more than five filter groups, six filters in a group or eighteen in all, a page over 200, paging
past 10,000 results) and whether an object matches a filter. Text compares ignoring case;
dates and times compare as Unix milliseconds, whether a value is ISO 8601 or milliseconds;
``CONTAINS_TOKEN`` matches the value or one of its words, ``*`` standing for any run; the
``associations.{type}`` pseudo-property takes ``EQ`` and ``NEQ`` on one id and ``IN`` and
``NOT_IN`` on a list of them (associated with any of them, with none)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

MAX_GROUPS: Final = 5
MAX_FILTERS_PER_GROUP: Final = 6
MAX_FILTERS: Final = 18
MAX_PAGE: Final = 200
MAX_RESULTS: Final = 10_000
ABSENT_MATCHES: Final = frozenset({"NEQ", "NOT_IN", "NOT_HAS_PROPERTY", "NOT_CONTAINS_TOKEN"})
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def refused(groups: Sequence[Mapping[str, Any]], body: Mapping[str, Any]) -> str | None:
    """Why HubSpot would answer this search 400, or None."""
    sizes = [len(g.get("filters") or []) for g in groups]
    if len(groups) > MAX_GROUPS or max(sizes, default=0) > MAX_FILTERS_PER_GROUP:
        return (f"There was a problem with the request: at most {MAX_GROUPS} filterGroups "
                f"of {MAX_FILTERS_PER_GROUP} filters each")  # fmt: skip
    if sum(sizes) > MAX_FILTERS:
        return f"There was a problem with the request: at most {MAX_FILTERS} filters in all"
    if int(body.get("limit") or 10) > MAX_PAGE:
        return f"There was a problem with the request: limit must be at most {MAX_PAGE}"
    if int(body.get("after") or 0) >= MAX_RESULTS:
        return f"There was a problem with the request: results past {MAX_RESULTS} cannot be paged"
    return None


def matches(record: dict[str, Any], f: Mapping[str, Any]) -> bool:
    name, op = str(f["propertyName"]), str(f["operator"])
    if name.startswith("associations."):
        target = {"company": "companies", "contact": "contacts"}.get(name.split(".", 1)[1], "")
        linked = record["associations"].get(target, set())
        if op in ("IN", "NOT_IN"):
            return bool(linked & {str(v) for v in f.get("values", [])}) == (op == "IN")
        return str(f.get("value")) in linked if op == "EQ" else str(f.get("value")) not in linked
    value = record["properties"].get(name)
    if value is None or value == "":
        return op in ABSENT_MATCHES
    low, high = comparable(value), comparable(f.get("value"))
    text, wanted = str(value).lower(), str(f.get("value")).lower()
    values = [str(v).lower() for v in f.get("values", [])]
    match op:
        case "EQ" | "NEQ":
            return (text == wanted) == (op == "EQ")
        case "IN" | "NOT_IN":
            return (text in values) == (op == "IN")
        case "LT" | "LTE" | "GT" | "GTE":
            return {"LT": low < high, "LTE": low <= high, "GT": low > high, "GTE": low >= high}[op]
        case "BETWEEN":
            return high <= low <= comparable(f.get("highValue"))
        case "CONTAINS_TOKEN" | "NOT_CONTAINS_TOKEN":
            return _has_token(text, wanted) == (op == "CONTAINS_TOKEN")
        case "HAS_PROPERTY":
            return True
    return False


def _has_token(text: str, pattern: str) -> bool:
    """Whether the value, or one of its words, matches ``pattern`` (``*`` is any run)."""
    compiled = re.compile(".*".join(re.escape(p) for p in pattern.split("*")))
    return any(compiled.fullmatch(t) for t in [text, *text.split()])


def comparable(value: object) -> tuple[int, Any]:
    """A value as HubSpot orders it: numbers (dates and times as Unix milliseconds) before
    text, text ignoring case, and missing values first."""
    text = "" if value is None else str(value).strip()
    if _NUMBER.fullmatch(text):
        return 1, float(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return (2, text.lower()) if text else (0, "")
    return 1, (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000
