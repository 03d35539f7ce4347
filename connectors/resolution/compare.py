"""Comparisons by field type. Each compares one aspect of two records and answers a level,
best first (``levels[0]`` is the strongest agreement, the last is disagreement), or
:data:`MISSING` when either side lacks the field: a missing field is no evidence either way.

Thresholds are on rapidfuzz's scales: Jaro-Winkler similarity 0..1 for single names (it
rewards a shared start, which typos rarely touch), token ratios 0..100 for multi-word names
and addresses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from connectors.resolution import normalise as norm
from connectors.resolution.features import Features
from connectors.resolution.records import Kind

MISSING: Final = -1
Level = int
COMPANY_CLOSE: Final = 90
"""Similarity (0–100) at which two company names are close: a typo, words reordered."""
COMPANY_SIMILAR: Final = 80
"""Similarity at which two company names are alike: two typos, or letters swapped in a short
name ("Akzo Nobel", "Akzo Noble"); how much that says, the model learns."""
COMPANY_CONTAINED: Final = 5
"""The shortest name looked for inside another with a typo: shorter ones are found in too
many."""
ADDRESS_CLOSE: Final = 85
"""Token set ratio at which two addresses are close: a typo, a part left out."""
ADDRESS_PARTIAL: Final = 70
"""Token set ratio at which two addresses share much: the same street in another suburb, or
a typo in several parts."""


@dataclass(frozen=True)
class Comparison:
    """One field comparison: its name, its level names (best first) and the function."""

    name: str
    levels: tuple[str, ...]
    compare: Callable[[Features, Features], Level]


def names_swapped(a: Features, b: Features) -> bool:
    """Whether one side has first and last name the wrong way round ("Smith John"): each of
    ``a``'s names is alike (equal, or Jaro-Winkler >= 0.88) the other of ``b``'s, and the
    first names are not alike as they stand."""
    if not (a.first and a.last and b.first and b.last) or _alike(a.first, b.first):
        return False
    return _alike(a.first, b.last) and _alike(a.last, b.first)


def _alike(x: str, y: str) -> bool:
    return x == y or JaroWinkler.similarity(x, y) >= 0.88


def first_name(a: Features, b: Features) -> Level:
    """exact / nickname ("Bob" for "Robert") / close (typo) / initial ("J." for "John") / far;
    against ``b``'s last name when the names are swapped (:func:`names_swapped`)."""
    if not a.first or not b.first:
        return MISSING
    other = b.last if names_swapped(a, b) else b.first
    if a.first == other:
        return 0
    if a.first_group & norm.first_name_group(other) and norm.same_first_name(a.first, other):
        return 1
    if JaroWinkler.similarity(a.first, other) >= 0.88:
        return 2
    if (len(a.first) == 1 or len(other) == 1) and a.first[0] == other[0]:
        return 3
    return 4


def last_name(a: Features, b: Features) -> Level:
    """exact / close (Jaro-Winkler >= 0.88) / sounds alike (metaphone) / far; against
    ``b``'s first name when the names are swapped."""
    if not a.last or not b.last:
        return MISSING
    other, code = (
        (b.first, norm.metaphone(b.first)) if names_swapped(a, b) else (b.last, b.last_code)
    )
    if a.last == other:
        return 0
    if JaroWinkler.similarity(a.last, other) >= 0.88:
        return 1
    return 2 if a.last_code == code else 3


def email(a: Features, b: Features) -> Level:
    """exact / personal (the same local part, one side at a free-mail provider: a work and a
    home address) / same organisation domain (never a free-mail one) / far. The same local
    part at two different organisations is "far": it is mostly the name again, and people
    with one name work at many companies."""
    if not a.email or not b.email:
        return MISSING
    if a.email == b.email:
        return 0
    free = norm.is_free_mail(a.email_domain) or norm.is_free_mail(b.email_domain)
    if free and JaroWinkler.similarity(a.email_local, b.email_local) >= 0.92:
        return 1
    return 2 if a.domain and a.domain == b.domain else 3


def phone(a: Features, b: Features) -> Level:
    """exact / same last seven digits (another country or area presentation) / far."""
    if not a.phone or not b.phone:
        return MISSING
    if a.phone == b.phone:
        return 0
    return 1 if a.phone[-7:] == b.phone[-7:] else 2


def company(a: Features, b: Features) -> Level:
    """Company names without legal forms: exact / close (typo, word order) / one contains the
    other's words / alike (:data:`COMPANY_SIMILAR`, or one contained in the other with a
    typo) / far."""
    if not a.company or not b.company:
        return MISSING
    if a.company_squashed == b.company_squashed:
        return 0
    similarity = max(fuzz.ratio(a.company_squashed, b.company_squashed),
                     fuzz.token_sort_ratio(a.company, b.company))  # fmt: skip
    if similarity >= COMPANY_CLOSE:
        return 1
    if fuzz.token_set_ratio(a.company, b.company) >= COMPANY_CLOSE:
        return 2
    return 3 if similarity >= COMPANY_SIMILAR or _contained(a.company, b.company) else 4


def _contained(a: str, b: str) -> bool:
    """Whether the shorter name (of at least :data:`COMPANY_CONTAINED` characters) is close
    to a part of the longer one: contained with a typo ("Phillips Electronics" in
    "Koninklike Philips Electronics")."""
    if min(len(a), len(b)) < COMPANY_CONTAINED:
        return False
    return fuzz.partial_ratio(a, b) >= COMPANY_CLOSE


def domain(a: Features, b: Features) -> Level:
    """Organisation domains: exact / same name under another suffix (acme.io, acme.com) / far."""
    if not a.domain or not b.domain:
        return MISSING
    if a.domain == b.domain:
        return 0
    return 1 if a.domain_stem == b.domain_stem else 2


def address(a: Features, b: Features) -> Level:
    """exact / close (token set ratio >= :data:`ADDRESS_CLOSE`) / partial (>=
    :data:`ADDRESS_PARTIAL`) / far."""
    if not a.address or not b.address:
        return MISSING
    if a.address == b.address:
        return 0
    ratio = fuzz.token_set_ratio(a.address, b.address)
    return 1 if ratio >= ADDRESS_CLOSE else 2 if ratio >= ADDRESS_PARTIAL else 3


def dates(a: Features, b: Features) -> Level:
    """Over the dates both name: all equal / each equal or one part off (a typo, day and
    month swapped) / far."""
    shared = a.dates.keys() & b.dates.keys()
    if not shared:
        return MISSING
    pairs = [(a.dates[k], b.dates[k]) for k in shared]
    if all(x == y for x, y in pairs):
        return 0
    near = all(
        x == y
        or (x.day, x.month) == (y.month, y.day)
        or sum((x.year != y.year, x.month != y.month, x.day != y.day)) == 1
        for x, y in pairs
    )
    return 1 if near else 2


def identifiers(a: Features, b: Features) -> Level:
    """Identifiers under the same name: one equal / one a typo of the other (one character
    changed, added, dropped or two swapped) / all differ."""
    shared = a.identifiers.keys() & b.identifiers.keys()
    if not shared:
        return MISSING
    if any(a.identifiers[k] == b.identifiers[k] for k in shared):
        return 0
    typo = any(DamerauLevenshtein.distance(a.identifiers[k], b.identifiers[k]) <= 1 for k in shared)
    return 1 if typo else 2


_FIELDS: Final = {
    "first_name": Comparison("first_name", ("exact", "nickname", "close", "initial", "far"),
                             first_name),
    "last_name": Comparison("last_name", ("exact", "close", "phonetic", "far"), last_name),
    "email": Comparison("email", ("exact", "personal", "domain", "far"), email),
    "phone": Comparison("phone", ("exact", "close", "far"), phone),
    "company": Comparison("company", ("exact", "close", "partial", "alike", "far"), company),
    "domain": Comparison("domain", ("exact", "stem", "far"), domain),
    "address": Comparison("address", ("exact", "close", "partial", "far"), address),
    "dates": Comparison("dates", ("exact", "close", "far"), dates),
    "identifiers": Comparison("identifiers", ("exact", "typo", "far"), identifiers),
}  # fmt: skip
_PERSON_FIELDS: Final = ("first_name", "last_name", "email", "phone", "company", "address")
PERSON: Final[tuple[Comparison, ...]] = tuple(
    _FIELDS[n] for n in (*_PERSON_FIELDS, "dates", "identifiers")
)
COMPANY: Final[tuple[Comparison, ...]] = tuple(
    _FIELDS[n] for n in ("company", "domain", "phone", "address", "dates", "identifiers")
)


def comparisons_for(kind: Kind) -> tuple[Comparison, ...]:
    """The comparisons a pair of records of ``kind`` is scored on."""
    return PERSON if kind == "person" else COMPANY


def compare(a: Features, b: Features, comparisons: Sequence[Comparison]) -> list[Level]:
    """The comparison vector of a pair: one level (or :data:`MISSING`) per comparison."""
    return [c.compare(a, b) for c in comparisons]
