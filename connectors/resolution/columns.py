"""The comparisons of :mod:`connectors.resolution.compare`, run over many pairs at once.

Comparing pair by pair in Python costs tens of microseconds a pair, and a run compares its
candidate pairs and tens of thousands of random ones. Here the features of every record are
laid out once as columns (each text value also as an integer code, ``-1`` for missing), and a
comparison answers the levels of all pairs in a few array operations: equality on codes,
string similarities by ``rapidfuzz.process.cpdist`` (the same scorers, element by element, in
C). The levels are exactly those of the one-pair functions; only the pairs that are neither
missing nor equal reach a string scorer, and only the nickname check stays in Python (cached
per pair of names).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from connectors.resolution import compare as cmp
from connectors.resolution import normalise as norm
from connectors.resolution.features import Features

Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Texts = npt.NDArray[np.object_]
Out = npt.NDArray[np.int8]
NO_DATE: Final = -1


def _codes(values: Sequence[str], index: dict[str, int] | None = None) -> Codes:
    """Each text as an integer, equal texts equal integers; ``""`` is ``-1``. Columns that
    share ``index`` share codes (first and last names, for swapped names)."""
    if index is None:
        if not any(values):  # a field no record has (no phones in a file of people)
            return np.full(len(values), -1, dtype=np.int64)
        index = {"": -1}
    code = index.setdefault
    return np.asarray([code(v, len(index) - 1) for v in values], dtype=np.int64)


def _texts(values: Sequence[str]) -> Texts:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


@dataclass(frozen=True)
class _Text:
    """One text feature of every record: the texts and their codes."""

    texts: Texts
    codes: Codes

    @classmethod
    def of(cls, values: Sequence[str], index: dict[str, int] | None = None) -> _Text:
        return cls(_texts(values), _codes(values, index))


class Columns:
    """The features of ``records`` as columns, for :func:`levels`; string similarities run
    on ``workers`` threads (rapidfuzz's ``workers``)."""

    def __init__(self, records: Sequence[Features], *, workers: int = 1) -> None:
        def text(name: str) -> _Text:
            return _Text.of(list(map(attrgetter(name), records)))  # no Python call per record

        self.workers = workers
        names: dict[str, int] = {"": -1}
        self._names = names
        sounds: dict[str, int] = {"": -1}
        self.first = _Text.of([f.first for f in records], names)
        self.last = _Text.of([f.last for f in records], names)
        self.last_code = _Text.of([f.last_code for f in records], sounds)
        self.first_sound = _Text.of([norm.metaphone(f.first) for f in records], sounds).codes
        self.email = text("email")
        self.email_local = text("email_local")
        self.free_mail = np.fromiter(
            (norm.is_free_mail(f.email_domain) for f in records), bool, len(records)
        )
        self.domain = text("domain")
        self.domain_stem = text("domain_stem")
        self.phone = text("phone")
        self.phone_tail = _Text.of([f.phone[-7:] for f in records])
        self.company = text("company")
        self.company_squashed = text("company_squashed")
        self.address = text("address")
        date_names = sorted({k for f in records for k in f.dates})
        self.dates = {name: _date_parts(records, name) for name in date_names}
        id_names = sorted({k for f in records for k in f.identifiers})
        self.identifiers = {
            name: _Text.of([f.identifiers.get(name, "") for f in records]) for name in id_names
        }

    @cached_property
    def name_initials(self) -> tuple[Ints, Ints]:
        """Each name's length and first character (by the first and last names' shared code)."""
        names = [n for n in self._names if n]
        lengths = np.fromiter(map(len, names), np.int64, len(names))
        initials = np.fromiter((ord(n[0]) for n in names), np.int64, len(names))
        return lengths, initials

    @cached_property
    def nicknames(self) -> Ints:
        """Every ordered pair of different names that are one name by the nickname list
        (:func:`_nickname`), as sorted ``code * names + code`` integers. Only names that
        share a canonical form can be one, so the names are grouped by each form they
        have and only the pairs inside a group are asked."""
        width = len(self._names)
        sharing: defaultdict[str, list[int]] = defaultdict(list)
        for name, code in self._names.items():
            for form in norm.first_name_group(name):
                sharing[form].append(code)
        names = list(self._names)  # by code + 1 ("" is -1)
        found = {
            x * width + y
            for group in sharing.values()
            if len(group) > 1
            for x in group
            for y in group
            if x != y and _nickname(names[x + 1], names[y + 1])
        }
        return np.asarray(sorted(found), dtype=np.int64)

    def similarity(
        self, scorer: Callable[..., Any], left: Texts, right: Texts
    ) -> npt.NDArray[np.float64]:
        """``scorer`` of ``left`` against ``right``, element by element."""
        if len(left) == 0:
            return np.zeros(0)
        scores = process.cpdist(
            left.tolist(),
            right.tolist(),
            scorer=scorer,
            dtype=np.float64,
            workers=self.workers,
        )
        return np.asarray(scores, dtype=np.float64)


def _date_parts(records: Sequence[Features], name: str) -> Ints:
    """``(records, 3)`` year, month, day of the date ``name`` (``-1`` where missing)."""
    out = np.full((len(records), 3), NO_DATE, dtype=np.int64)
    for i, f in enumerate(records):
        d = f.dates.get(name)
        if d is not None:
            out[i] = (d.year, d.month, d.day)
    return out


class PairView:
    """The pairs one :func:`levels` call compares: left and right record indices, and what
    several comparisons share (whether the names are swapped), computed once."""

    def __init__(self, columns: Columns, a: Ints, b: Ints) -> None:
        self.c, self.a, self.b = columns, a, b

    @cached_property
    def swapped(self) -> Bools:
        """:func:`connectors.resolution.compare.names_swapped` over the pairs."""
        c, a, b = self.c, self.a, self.b
        fa, la, fb, lb = c.first.codes[a], c.last.codes[a], c.first.codes[b], c.last.codes[b]
        out = (fa >= 0) & (la >= 0) & (fb >= 0) & (lb >= 0)
        out &= ~self._alike(c.first.texts, fa, c.first.texts, fb, out)
        out &= self._alike(c.first.texts, fa, c.last.texts, lb, out)
        out &= self._alike(c.last.texts, la, c.first.texts, fb, out)
        return out

    def _alike(self, x: Texts, xc: Codes, y: Texts, yc: Codes, where: Bools) -> Bools:
        out: Bools = where & (xc == yc)
        rest = np.flatnonzero(where & ~out)
        out[rest[self.similar(JaroWinkler.similarity, x, y, rest) >= 0.88]] = True
        return out

    def similar(
        self, scorer: Callable[..., Any], left: Texts, right: Texts, where: Ints
    ) -> npt.NDArray[np.float64]:
        """``scorer`` of pairs ``where``: the left record's ``left`` against the right's
        ``right`` (columns of every record)."""
        return self.c.similarity(scorer, left[self.a[where]], right[self.b[where]])

    def start(self, column: _Text, far: int) -> tuple[Out, Bools]:
        """Levels with every present pair at ``far``, equal pairs at 0, missing ones
        missing; and which pairs are still open (present, not equal)."""
        ca, cb = column.codes[self.a], column.codes[self.b]
        present = (ca >= 0) & (cb >= 0)
        out = np.where(present, np.int8(far), np.int8(cmp.MISSING)).astype(np.int8)
        equal = present & (ca == cb)
        out[equal] = 0
        return out, present & ~equal

    def other(self, straight: _Text, crossed: _Text) -> tuple[Texts, Codes]:
        """The right record's name to compare with: ``straight``, or ``crossed`` where the
        names are swapped."""
        b, swapped = self.b, self.swapped
        return (
            np.where(swapped, crossed.texts[b], straight.texts[b]),
            np.where(swapped, crossed.codes[b], straight.codes[b]),
        )


def first_name(p: PairView) -> Out:
    """:func:`connectors.resolution.compare.first_name` over pairs."""
    c = p.c
    texts, codes = p.other(c.first, c.last)
    mine_codes = c.first.codes[p.a]
    present = (mine_codes >= 0) & (c.first.codes[p.b] >= 0)
    out = np.where(present, np.int8(4), np.int8(cmp.MISSING)).astype(np.int8)
    equal = present & (mine_codes == codes)
    out[equal] = 0
    where = np.flatnonzero(present & ~equal)
    x, y = mine_codes[where], codes[where]
    lengths, firsts = c.name_initials
    initial = ((lengths[x] == 1) | (lengths[y] == 1)) & (firsts[x] == firsts[y])
    out[where[initial]] = 3
    close = c.similarity(JaroWinkler.similarity, c.first.texts[p.a[where]], texts[where])
    out[where[close >= 0.88]] = 2
    nick = np.isin(x * len(c._names) + y, c.nicknames, assume_unique=False)
    out[where[nick]] = 1
    return out


@lru_cache(maxsize=1 << 18)
def _nickname(a: str, b: str) -> bool:
    return bool(norm.first_name_group(a) & norm.first_name_group(b)) and norm.same_first_name(a, b)


def last_name(p: PairView) -> Out:
    """:func:`connectors.resolution.compare.last_name` over pairs."""
    c, a, b = p.c, p.a, p.b
    texts, codes = p.other(c.last, c.first)
    sound = np.where(p.swapped, c.first_sound[b], c.last_code.codes[b])
    mine_codes = c.last.codes[a]
    present = (mine_codes >= 0) & (c.last.codes[b] >= 0)
    out = np.where(present, np.int8(3), np.int8(cmp.MISSING)).astype(np.int8)
    equal = present & (mine_codes == codes)
    out[equal] = 0
    open_ = present & ~equal
    out[open_ & (c.last_code.codes[a] == sound)] = 2
    where = np.flatnonzero(open_)
    close = c.similarity(JaroWinkler.similarity, c.last.texts[a[where]], texts[where]) >= 0.88
    out[where[close]] = 1
    return out


def email(p: PairView) -> Out:
    """:func:`connectors.resolution.compare.email` over pairs."""
    c, a, b = p.c, p.a, p.b
    out, open_ = p.start(c.email, 3)
    same_domain = (c.domain.codes[a] >= 0) & (c.domain.codes[a] == c.domain.codes[b])
    out[open_ & same_domain] = 2
    where = np.flatnonzero(open_ & (c.free_mail[a] | c.free_mail[b]))
    local = c.email_local.texts
    personal = p.similar(JaroWinkler.similarity, local, local, where) >= 0.92
    out[where[personal]] = 1
    return out


def phone(p: PairView) -> Out:
    """:func:`connectors.resolution.compare.phone` over pairs."""
    c = p.c
    out, open_ = p.start(c.phone, 2)
    out[open_ & (c.phone_tail.codes[p.a] == c.phone_tail.codes[p.b])] = 1
    return out


def company(p: PairView) -> Out:
    """:func:`connectors.resolution.compare.company` over pairs."""
    c = p.c
    out, open_ = p.start(c.company_squashed, 4)
    where = np.flatnonzero(open_)
    names, squashed = c.company.texts, c.company_squashed.texts
    similarity = np.maximum(
        p.similar(fuzz.ratio, squashed, squashed, where),
        p.similar(fuzz.token_sort_ratio, names, names, where),
    )
    out[where[similarity >= cmp.COMPANY_SIMILAR]] = 3
    unlike = where[similarity < cmp.COMPANY_SIMILAR]  # not alike already: inside another?
    shorter = np.minimum(_lengths(names[p.a[unlike]]), _lengths(names[p.b[unlike]]))
    inside = unlike[shorter >= cmp.COMPANY_CONTAINED]
    contained = p.similar(fuzz.partial_ratio, names, names, inside) >= cmp.COMPANY_CLOSE
    out[inside[contained]] = 3
    partial = p.similar(fuzz.token_set_ratio, names, names, where) >= cmp.COMPANY_CLOSE
    out[where[partial]] = 2
    out[where[similarity >= cmp.COMPANY_CLOSE]] = 1
    return out


def _lengths(texts: Texts) -> Ints:
    return np.fromiter(map(len, texts), np.int64, len(texts))


def domain(p: PairView) -> Out:
    """:func:`connectors.resolution.compare.domain` over pairs."""
    c = p.c
    out, open_ = p.start(c.domain, 2)
    out[open_ & (c.domain_stem.codes[p.a] == c.domain_stem.codes[p.b])] = 1
    return out


def address(p: PairView) -> Out:
    """:func:`connectors.resolution.compare.address` over pairs."""
    c = p.c
    out, open_ = p.start(c.address, 3)
    where = np.flatnonzero(open_)
    ratio = p.similar(fuzz.token_set_ratio, c.address.texts, c.address.texts, where)
    out[where[ratio >= cmp.ADDRESS_PARTIAL]] = 2
    out[where[ratio >= cmp.ADDRESS_CLOSE]] = 1
    return out


def dates(p: PairView) -> Out:
    """:func:`connectors.resolution.compare.dates` over pairs."""
    count = len(p.a)
    shared = np.zeros(count, dtype=bool)
    all_equal = np.ones(count, dtype=bool)
    all_near = np.ones(count, dtype=bool)
    for parts in p.c.dates.values():
        x, y = parts[p.a], parts[p.b]
        both = (x[:, 0] != NO_DATE) & (y[:, 0] != NO_DATE)
        equal = (x == y).all(axis=1)
        swapped = (x[:, 1] == y[:, 2]) & (x[:, 2] == y[:, 1])
        one_off = (x != y).sum(axis=1) == 1
        shared |= both
        all_equal &= ~both | equal
        all_near &= ~both | equal | swapped | one_off
    out = np.full(count, cmp.MISSING, dtype=np.int8)
    out[shared] = 2
    out[shared & all_near] = 1
    out[shared & all_equal] = 0
    return out


def identifiers(p: PairView) -> Out:
    """:func:`connectors.resolution.compare.identifiers` over pairs."""
    count = len(p.a)
    shared = np.zeros(count, dtype=bool)
    any_equal = np.zeros(count, dtype=bool)
    any_typo = np.zeros(count, dtype=bool)
    for column in p.c.identifiers.values():
        out, open_ = p.start(column, 2)
        shared |= out >= 0
        any_equal |= out == 0
        where = np.flatnonzero(open_)
        typo = p.similar(DamerauLevenshtein.distance, column.texts, column.texts, where)
        any_typo[where[typo <= 1]] = True
    out = np.full(count, cmp.MISSING, dtype=np.int8)
    out[shared] = 2
    out[shared & any_typo] = 1
    out[shared & any_equal] = 0
    return out


BATCH: Final[dict[str, Callable[[PairView], Out]]] = {
    "first_name": first_name,
    "last_name": last_name,
    "email": email,
    "phone": phone,
    "company": company,
    "domain": domain,
    "address": address,
    "dates": dates,
    "identifiers": identifiers,
}


def levels(columns: Columns, pairs: Ints, comparisons: Sequence[cmp.Comparison]) -> Out:
    """The ``(pairs, comparisons)`` levels of ``pairs`` (an ``(n, 2)`` array of indices)."""
    if len(pairs) == 0:
        return np.empty((0, len(comparisons)), dtype=np.int8)
    view = PairView(columns, pairs[:, 0], pairs[:, 1])
    return np.stack([BATCH[c.name](view) for c in comparisons], axis=1).astype(np.int8)
