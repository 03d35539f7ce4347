"""Finding the customers a message names: any system's spelling, domains, contacts.

The index is built once from the directory's aliases. A lookup slides windows of one to a few
words over the text and looks each one up exactly (a dictionary), then, for typos, by
similarity against the aliases with the same number of words and the same first letter only,
so a lookup stays well under a millisecond for dozens of accounts and small for thousands.

Words are compared as :func:`~connectors.identity.normalize_name` leaves them: lower case,
``&`` as "and", no punctuation, no trailing legal form, so "Acme's", "ACME Corp." and
"Lumen & Oak" find their accounts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

from connectors.release import empty_in_pieces
from workflows.domain import AccountRef, CustomerMention, MentionKind

SIMILAR_SCORE: Final = 88.0
SIMILAR_MIN_CHARS: Final = 5
PLAUSIBLE_SCORE: Final = 75.0
PLAUSIBLE_MARGIN: Final = 10.0
_KIND_RANK: Final[dict[MentionKind, int]] = {
    "email": 0,
    "domain": 1,
    "name": 2,
    "contact": 3,
    "partial": 4,
    "similar": 5,
}
_WORD = re.compile(r"\w+|&")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[A-Za-z][\w-]*)+|\b[\w-]+(?:\.[A-Za-z][\w-]*)+")
_GAP_BREAK = "\x00"
Normalizer = Callable[[str], str]


@dataclass(frozen=True)
class _Entry:
    account_id: str
    how: MentionKind
    weak: bool = False


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Hit:
    account_id: str
    start: int
    end: int
    words: int
    how: MentionKind
    score: float
    weak: bool

    @property
    def rank(self) -> tuple[int, int, float]:
        return (-self.words, _KIND_RANK[self.how], -self.score)


@dataclass(frozen=True)
class IndexSource:
    """What the index is built from: normalised names per account (``names``), contacts'
    normalised names and email addresses, and lookup keys for domains (any spelling)."""

    accounts: Mapping[str, AccountRef]
    names: Mapping[str, Iterable[str]]
    contacts: Iterable[tuple[str, str, str]]  # (normalised name, email, account id)
    domain_of: Callable[[str], AccountRef | None]


# A name, an account and how the name means it: what the index holds once.
_Filed = tuple[str, str, str]


class MentionIndex:
    """Which customers a text names. Built once; lookups never call a system."""

    def __init__(self, source: IndexSource, normalize: Normalizer) -> None:
        self._accounts = source.accounts
        self._normalize = normalize
        self._domain_of = source.domain_of
        self._exact: dict[str, list[_Entry]] = defaultdict(list)
        self._emails: dict[str, str] = {}
        # What is filed already (name, account, how): a common name ("john smith") is filed
        # for thousands of contacts, and looking through its entries each time is quadratic.
        filed: set[_Filed] = set()
        for account_id, names in source.names.items():
            self._add_names(account_id, set(names), filed)
        for name, email, account_id in source.contacts:
            if name:  # someone known only by their address is found by it alone
                self._add(name, _Entry(account_id, "contact"), filed)
            self._emails[email.lower()] = account_id
        self._buckets = _buckets(self._exact)
        self._full = sorted({n for n, es in self._exact.items() if _has_kind(es, "name")})
        self._longest = max((len(n.split()) for n in self._exact), default=1)

    def let_go(self) -> None:
        """Empty the index a piece at a time, away from the event loop, once nothing looks
        anything up in it any more (:func:`~connectors.release.empty_in_pieces`)."""
        empty_in_pieces(self._exact, self._emails, self._buckets, self._full)

    def _add_names(self, account_id: str, names: set[str], filed: set[_Filed]) -> None:
        for name in names:
            self._add(name, _Entry(account_id, "name"), filed)
            words = name.split()
            for n in range(1, len(words)):
                if _good_prefix(words[:n]):
                    entry = _Entry(account_id, "partial", weak=n == 1)
                    self._add(" ".join(words[:n]), entry, filed)

    def _add(self, key: str, entry: _Entry, filed: set[_Filed]) -> None:
        """File ``entry`` under ``key``, once per account and kind of match."""
        mark = (key, entry.account_id, entry.how)
        if mark not in filed:
            filed.add(mark)
            self._exact[key].append(entry)

    def find_in(self, text: str) -> list[CustomerMention]:
        """Every customer named in ``text``, in text order (see :class:`CustomerFinder`)."""
        hits, masked = self._addresses(text)
        hits += _choose(list(self._word_hits(_words(masked))))
        if any(not h.weak for h in hits):
            hits = [h for h in hits if not h.weak or text[h.start].isupper()]
        hits.sort(key=lambda h: (h.start, self._accounts[h.account_id].name))
        return [self._mention(text, h) for h in hits]

    def close_to(self, name: str) -> list[AccountRef]:
        """Up to three accounts whose full names plausibly are what ``name`` meant."""
        wanted = self._normalize(name)
        if len(wanted) < 3:
            return []
        found = process.extract(
            wanted, self._full, scorer=fuzz.WRatio, score_cutoff=PLAUSIBLE_SCORE, limit=10
        )
        best = found[0][1] if found else 0.0
        ids = [e.account_id for n, s, _ in found if s >= best - PLAUSIBLE_MARGIN
               for e in self._exact[n] if e.how == "name"]  # fmt: skip
        return [self._accounts[i] for i in dict.fromkeys(ids)][:3]

    def _addresses(self, text: str) -> tuple[list[_Hit], str]:
        """Email addresses and domains that belong to a customer; their characters are
        masked in the returned text so word windows neither see nor span them."""
        hits: list[_Hit] = []
        masked = text
        for match in _ADDRESS.finditer(text):
            hit = self._address(match.group().lower(), match.start(), match.end())
            if hit is not None:
                hits.append(hit)
                width = match.end() - match.start()
                masked = masked[: match.start()] + _GAP_BREAK * width + masked[match.end() :]
        return hits, masked

    def _address(self, address: str, start: int, end: int) -> _Hit | None:
        account_id = self._emails.get(address)
        if account_id is not None:
            return _Hit(account_id, start, end, 1, "email", 100.0, False)
        account = self._domain_of(address)
        if account is None:
            return None
        return _Hit(account.account_id, start, end, 1, "domain", 100.0, False)

    def _word_hits(self, words: list[list[_Word]]) -> Iterable[_Hit]:
        for run in words:
            for i in range(len(run)):
                for n in range(1, min(self._longest + 1, len(run) - i + 1)):
                    yield from self._window(run[i : i + n], n)

    def _window(self, window: list[_Word], n: int) -> Iterable[_Hit]:
        key = self._normalize(" ".join(w.text for w in window))
        start, end = window[0].start, window[-1].end
        entries = self._exact.get(key)
        if entries:
            for e in entries:
                yield _Hit(e.account_id, start, end, n, e.how, 100.0, e.weak)
            return
        if len(key) < SIMILAR_MIN_CHARS:
            return
        bucket = self._buckets.get((len(key.split()), key[0]), [])
        for alias, score, _ in process.extract(
            key, bucket, scorer=fuzz.ratio, score_cutoff=SIMILAR_SCORE, limit=5
        ):
            for e in self._exact[alias]:
                yield _Hit(e.account_id, start, end, n, "similar", score, n == 1 or e.weak)

    def _mention(self, text: str, hit: _Hit) -> CustomerMention:
        return CustomerMention(
            account=self._accounts[hit.account_id],
            start=hit.start,
            end=hit.end,
            text=text[hit.start : hit.end],
            how=hit.how,
            score=round(hit.score, 1),
        )


def _has_kind(entries: list[_Entry], kind: MentionKind) -> bool:
    return any(e.how == kind for e in entries)


def _good_prefix(words: list[str]) -> bool:
    """Leading words that can stand for the whole name: not "the", "lumen and", "a"."""
    last = words[-1]
    return len(" ".join(words)) >= 3 and last not in {"and", "the", "of", "for", "de"}


def _buckets(exact: Mapping[str, list[_Entry]]) -> dict[tuple[int, str], list[str]]:
    """Names (not contacts) by word count and first letter: where a typo is looked for."""
    buckets: dict[tuple[int, str], list[str]] = defaultdict(list)
    for key, entries in exact.items():
        if any(e.how != "contact" for e in entries):
            buckets[(len(key.split()), key[0])].append(key)
    return dict(buckets)


def _words(text: str) -> list[list[_Word]]:
    """The words of ``text`` in runs that no masked address interrupts; a possessive "'s"
    is not a word of its own."""
    runs: list[list[_Word]] = [[]]
    previous_end = 0
    for match in _WORD.finditer(text):
        start = match.start()
        if _GAP_BREAK in text[previous_end:start]:
            runs.append([])
        previous_end = match.end()
        if match.group().lower() == "s" and start > 0 and text[start - 1] in "'’":
            continue
        runs[-1].append(_Word(match.group(), start, match.end()))
    return [run for run in runs if run]


def _choose(hits: list[_Hit]) -> list[_Hit]:
    """The best reading of overlapping hits: longer spans first, then the surer kind.

    Hits with the same span and rank as a chosen one stay too: the words fit several
    customers equally well (the planner asks which one).
    """
    chosen: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: h.rank):
        rivals = [c for c in chosen if c.start < hit.end and hit.start < c.end]
        if not rivals or _another_fit(hit, rivals):
            chosen.append(hit)
    return chosen


def _another_fit(hit: _Hit, rivals: list[_Hit]) -> bool:
    """Whether ``hit`` is a different customer fitting the same words exactly as well."""
    same = all((c.start, c.end, c.rank) == (hit.start, hit.end, hit.rank) for c in rivals)
    return same and hit.account_id not in {c.account_id for c in rivals}
