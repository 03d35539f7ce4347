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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
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
    index = {"": -1} if index is None else index
    return np.fromiter((index.setdefault(v, len(index) - 1) for v in values), np.int64, len(values))


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
    """The features of ``records`` as columns, for :func:`levels`."""

    def __init__(self, records: Sequence[Features]) -> None:
        def text(get: Callable[[Features], str]) -> _Text:
            return _Text.of([get(f) for f in records])

        names: dict[str, int] = {"": -1}
        sounds: dict[str, int] = {"": -1}
        self.first = _Text.of([f.first for f in records], names)
        self.last = _Text.of([f.last for f in records], names)
        self.last_code = _Text.of([f.last_code for f in records], sounds)
        self.first_sound = _Text.of([norm.metaphone(f.first) for f in records], sounds).codes
        self.email = text(lambda f: f.email)
        self.email_local = text(lambda f: f.email_local)
        self.free_mail = np.fromiter(
            (norm.is_free_mail(f.email_domain) for f in records), bool, len(records)
        )
        self.domain = text(lambda f: f.domain)
        self.domain_stem = text(lambda f: f.domain_stem)
        self.phone = text(lambda f: f.phone)
        self.phone_tail = text(lambda f: f.phone[-7:])
        self.company = text(lambda f: f.company)
        self.company_squashed = text(lambda f: f.company_squashed)
        self.address = text(lambda f: f.address)
        date_names = sorted({k for f in records for k in f.dates})
        self.dates = {name: _date_parts(records, name) for name in date_names}
        id_names = sorted({k for f in records for k in f.identifiers})
        self.identifiers = {
            name: _Text.of([f.identifiers.get(name, "") for f in records]) for name in id_names
        }


def _date_parts(records: Sequence[Features], name: str) -> Ints:
    """``(records, 3)`` year, month, day of the date ``name`` (``-1`` where missing)."""
    out = np.full((len(records), 3), NO_DATE, dtype=np.int64)
    for i, f in enumerate(records):
        d = f.dates.get(name)
        if d is not None:
            out[i] = (d.year, d.month, d.day)
    return out


def _similarity(
    scorer: Callable[..., Any], left: Texts, right: Texts, where: Ints
) -> npt.NDArray[np.float64]:
    if len(where) == 0:
        return np.zeros(0)
    scores = process.cpdist(
        left[where].tolist(), right[where].tolist(), scorer=scorer, dtype=np.float64
    )
    return np.asarray(scores, dtype=np.float64)


def _start(column: _Text, a: Ints, b: Ints, far: int) -> tuple[Out, Codes, Codes, Bools]:
    """Levels with every present pair at ``far``, equal pairs at 0, missing ones missing;
    and the codes and which pairs are still open (present, not equal)."""
    ca, cb = column.codes[a], column.codes[b]
    present = (ca >= 0) & (cb >= 0)
    out = np.where(present, np.int8(far), np.int8(cmp.MISSING)).astype(np.int8)
    equal = present & (ca == cb)
    out[equal] = 0
    return out, ca, cb, present & ~equal


def _swapped(c: Columns, a: Ints, b: Ints) -> Bools:
    """:func:`connectors.resolution.compare.names_swapped` over pairs."""
    fa, la, fb, lb = c.first.codes[a], c.last.codes[a], c.first.codes[b], c.last.codes[b]
    out = (fa >= 0) & (la >= 0) & (fb >= 0) & (lb >= 0)
    out &= ~_alike(c.first.texts, fa, a, c.first.texts, fb, b, out)
    out &= _alike(c.first.texts, fa, a, c.last.texts, lb, b, out)
    out &= _alike(c.last.texts, la, a, c.first.texts, fb, b, out)
    return out


def _alike(x: Texts, xc: Codes, a: Ints, y: Texts, yc: Codes, b: Ints, where: Bools) -> Bools:
    out: Bools = where & (xc == yc)
    rest = np.flatnonzero(where & ~out)
    out[rest[_similarity(JaroWinkler.similarity, x[a], y[b], rest) >= 0.88]] = True
    return out


def _other(
    c: Columns, swapped: Bools, b: Ints, straight: _Text, crossed: _Text
) -> tuple[Texts, Codes]:
    """``b``'s name to compare with: ``straight``, or ``crossed`` where the names are swapped."""
    return (
        np.where(swapped, crossed.texts[b], straight.texts[b]),
        np.where(swapped, crossed.codes[b], straight.codes[b]),
    )


def first_name(c: Columns, a: Ints, b: Ints) -> Out:
    """:func:`connectors.resolution.compare.first_name` over pairs."""
    texts, codes = _other(c, _swapped(c, a, b), b, c.first, c.last)
    mine, mine_codes = c.first.texts[a], c.first.codes[a]
    present = (mine_codes >= 0) & (c.first.codes[b] >= 0)
    out = np.where(present, np.int8(4), np.int8(cmp.MISSING)).astype(np.int8)
    equal = present & (mine_codes == codes)
    out[equal] = 0
    open_ = present & ~equal
    where = np.flatnonzero(open_)
    left, right = mine[where].tolist(), texts[where].tolist()
    initial = np.fromiter(
        ((len(x) == 1 or len(y) == 1) and x[0] == y[0] for x, y in zip(left, right, strict=True)),
        bool,
        len(where),
    )
    out[where[initial]] = 3
    close = _similarity(JaroWinkler.similarity, mine, texts, where) >= 0.88
    out[where[close]] = 2
    nick = np.fromiter(
        (_nickname(x, y) for x, y in zip(left, right, strict=True)), bool, len(where)
    )
    out[where[nick]] = 1
    return out


@lru_cache(maxsize=1 << 18)
def _nickname(a: str, b: str) -> bool:
    return bool(norm.first_name_group(a) & norm.first_name_group(b)) and norm.same_first_name(a, b)


def last_name(c: Columns, a: Ints, b: Ints) -> Out:
    """:func:`connectors.resolution.compare.last_name` over pairs."""
    swapped = _swapped(c, a, b)
    texts, codes = _other(c, swapped, b, c.last, c.first)
    sound = np.where(swapped, c.first_sound[b], c.last_code.codes[b])
    mine, mine_codes = c.last.texts[a], c.last.codes[a]
    present = (mine_codes >= 0) & (c.last.codes[b] >= 0)
    out = np.where(present, np.int8(3), np.int8(cmp.MISSING)).astype(np.int8)
    equal = present & (mine_codes == codes)
    out[equal] = 0
    open_ = present & ~equal
    out[open_ & (c.last_code.codes[a] == sound)] = 2
    where = np.flatnonzero(open_)
    close = _similarity(JaroWinkler.similarity, mine, texts, where) >= 0.88
    out[where[close]] = 1
    return out


def email(c: Columns, a: Ints, b: Ints) -> Out:
    """:func:`connectors.resolution.compare.email` over pairs."""
    out, _, _, open_ = _start(c.email, a, b, 3)
    same_domain = (c.domain.codes[a] >= 0) & (c.domain.codes[a] == c.domain.codes[b])
    out[open_ & same_domain] = 2
    where = np.flatnonzero(open_ & (c.free_mail[a] | c.free_mail[b]))
    local = c.email_local.texts
    personal = _similarity(JaroWinkler.similarity, local[a], local[b], where) >= 0.92
    out[where[personal]] = 1
    return out


def phone(c: Columns, a: Ints, b: Ints) -> Out:
    """:func:`connectors.resolution.compare.phone` over pairs."""
    out, _, _, open_ = _start(c.phone, a, b, 2)
    out[open_ & (c.phone_tail.codes[a] == c.phone_tail.codes[b])] = 1
    return out


def company(c: Columns, a: Ints, b: Ints) -> Out:
    """:func:`connectors.resolution.compare.company` over pairs."""
    out, _, _, open_ = _start(c.company_squashed, a, b, 3)
    where = np.flatnonzero(open_)
    names, squashed = c.company.texts, c.company_squashed.texts
    partial = _similarity(fuzz.token_set_ratio, names[a], names[b], where) >= 90
    out[where[partial]] = 2
    close = np.maximum(
        _similarity(fuzz.ratio, squashed[a], squashed[b], where),
        _similarity(fuzz.token_sort_ratio, names[a], names[b], where),
    )
    out[where[close >= 90]] = 1
    return out


def domain(c: Columns, a: Ints, b: Ints) -> Out:
    """:func:`connectors.resolution.compare.domain` over pairs."""
    out, _, _, open_ = _start(c.domain, a, b, 2)
    out[open_ & (c.domain_stem.codes[a] == c.domain_stem.codes[b])] = 1
    return out


def address(c: Columns, a: Ints, b: Ints) -> Out:
    """:func:`connectors.resolution.compare.address` over pairs."""
    out, _, _, open_ = _start(c.address, a, b, 3)
    where = np.flatnonzero(open_)
    ratio = _similarity(fuzz.token_set_ratio, c.address.texts[a], c.address.texts[b], where)
    out[where[ratio >= cmp.ADDRESS_PARTIAL]] = 2
    out[where[ratio >= cmp.ADDRESS_CLOSE]] = 1
    return out


def dates(c: Columns, a: Ints, b: Ints) -> Out:
    """:func:`connectors.resolution.compare.dates` over pairs."""
    shared = np.zeros(len(a), dtype=bool)
    all_equal = np.ones(len(a), dtype=bool)
    all_near = np.ones(len(a), dtype=bool)
    for parts in c.dates.values():
        x, y = parts[a], parts[b]
        both = (x[:, 0] != NO_DATE) & (y[:, 0] != NO_DATE)
        equal = (x == y).all(axis=1)
        swapped = (x[:, 1] == y[:, 2]) & (x[:, 2] == y[:, 1])
        one_off = (x != y).sum(axis=1) == 1
        shared |= both
        all_equal &= ~both | equal
        all_near &= ~both | equal | swapped | one_off
    out = np.full(len(a), cmp.MISSING, dtype=np.int8)
    out[shared] = 2
    out[shared & all_near] = 1
    out[shared & all_equal] = 0
    return out


def identifiers(c: Columns, a: Ints, b: Ints) -> Out:
    """:func:`connectors.resolution.compare.identifiers` over pairs."""
    shared = np.zeros(len(a), dtype=bool)
    any_equal = np.zeros(len(a), dtype=bool)
    any_typo = np.zeros(len(a), dtype=bool)
    for column in c.identifiers.values():
        out, _, _, open_ = _start(column, a, b, 2)
        shared |= out >= 0
        any_equal |= out == 0
        where = np.flatnonzero(open_)
        typo = _similarity(DamerauLevenshtein.distance, column.texts[a], column.texts[b], where)
        any_typo[where[typo <= 1]] = True
    out = np.full(len(a), cmp.MISSING, dtype=np.int8)
    out[shared] = 2
    out[shared & any_typo] = 1
    out[shared & any_equal] = 0
    return out


BATCH: Final[dict[str, Callable[[Columns, Ints, Ints], Out]]] = {
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
    a, b = pairs[:, 0], pairs[:, 1]
    return np.stack([BATCH[c.name](columns, a, b) for c in comparisons], axis=1).astype(np.int8)
