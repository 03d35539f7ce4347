"""Blocking: which pairs are worth comparing. Every record gets a few keys; two records are a
candidate pair only when they share one, so the work grows with the records, not with their
square.

Keys (each prefixed by kind, so people and companies never meet):

- person: the email address; the phone; the last name's metaphone code with each possible
  first initial (a nickname's canonical forms count: "Bob" also files under "r" for Robert);
  the organisation domain with the last name's code; each identifier under its name, and
  with each character in turn left out (so a typo still meets); the first two words of the
  address (a street number and name) and its last two (a state and postcode); each
  named date (a date of birth) with each of the names' initials (so swapped names meet);
- company: the domain; the domain's stem and the cleaned name squashed (so "Acme Corp." meets
  ``acme.io``); the name's first word with each of the next two, as written and as
  metaphone codes (a typo leaves one of them: "Bold Field Parlners" still meets "Bold Field
  Partners", "Bold Fieldd Partners" too), a name of one word as written and as its code
  ("Uniliver" meets "Unilever"); the phone.

A block larger than ``max_block`` is **skipped**, not sub-blocked, and counted in the stats:
such a key is common by nature (a generic word, a switchboard number), and each record's
other, more specific keys still pair it with its true duplicates. One block is not common by
nature however large it grows: companies under the same cleaned name, the same company filed
again and again (an import's rows, a patent office's applicants). Those are chained
(:func:`same_name_pairs`): each compared with the one before it, so that any number of them
costs a pair each and still ends up as one entity; and a block counts one record of each
name, so that "Philips Electronics" filed 300 times over 40 spellings is a block of 40.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from connectors.resolution import normalise as norm
from connectors.resolution.features import Features

Pairs = npt.NDArray[np.int64]
"""An ``(n, 2)`` array of record indices, ``left < right``, sorted, without repeats."""


@dataclass(frozen=True)
class BlockingStats:
    """What blocking did: keys and blocks, those skipped as too large, and the pairs."""

    keys: int
    blocks: int
    skipped_blocks: int
    records_in_skipped_blocks: int
    largest_block: int
    candidate_pairs: int


def keys(f: Features) -> set[str]:
    """The blocking keys of one record."""
    return set(key_list(f))


def key_list(f: Features) -> list[str]:
    """The blocking keys of one record as a list, in which a key may come twice (a cheaper
    form when the keys of many records are gathered and deduplicated at once)."""
    if f.kind == "person":
        return _person_keys(f)
    return _company_keys(f)


def _person_keys(f: Features) -> list[str]:
    out: list[str] = []
    if f.email:
        out.append("p|e|" + f.email)
    if f.phone:
        out.append("p|t|" + f.phone)
    if f.last_code:
        head = f"p|n|{f.last_code}|"
        if f.first_group:
            out += [head + name[0] for name in f.first_group]
        else:
            out.append(head)
        if f.domain:
            out.append(f"p|d|{f.domain}|{f.last_code}")
    for name, value in f.identifiers.items():
        head = f"p|i|{name}|"
        out.append(head + value)
        if len(value) >= 5:  # each with one character left out: one typo apart, one shared
            out += [f"{head}{value[:i]}\x00{value[i + 1 :]}" for i in range(len(value))]
    words = f.address.split()
    if len(words) >= 2:  # the start (a street number and name) and the end (a postcode)
        out.append(f"p|a|{words[0]}|{words[1]}")
        out.append(f"p|a|{words[-2]}|{words[-1]}")
    if f.dates:
        initials = [n[0] for n in (f.first, f.last) if n]
        for name, when in f.dates.items():
            head = f"p|b|{name}|{when.isoformat()}|"
            out += [head + i for i in initials]
    return out


def _company_keys(f: Features) -> list[str]:
    out: list[str] = []
    if f.domain:
        out.append("c|d|" + f.domain)
    out += ["c|s|" + s for s in (f.domain_stem, f.company_squashed) if len(s) >= 3]
    words = [w for w in f.company.split() if len(w) >= 2][:3]
    if len(words) == 1:
        out += ["c|w|" + words[0], "c|m|" + norm.metaphone(words[0])]
    if len(words) > 1:
        sound = norm.metaphone(words[0])
        for other in words[1:]:
            out.append(f"c|w|{words[0]}|{other}")
            out.append(f"c|m|{sound}|{norm.metaphone(other)}")
    if f.phone:
        out.append("c|t|" + f.phone)
    return out


@dataclass(frozen=True)
class KeyCodes:
    """Blocking keys as integers. A key's code is the rank of its ``hash`` (this process's:
    the codes live no longer than it does) among the distinct ones, ``hashes``, sorted;
    entry ``k`` says that record ``owners[k]`` has the key ``codes[k]``. Entries are sorted
    by key, then by record, and none repeats, so each key's records are one slice.

    Two keys whose hashes are equal (among four million keys, about one chance in two
    million that any two are) are one block: a few more pairs compared or, were they too
    many together, the block left out as a common key's is."""

    hashes: npt.NDArray[np.int64]
    codes: npt.NDArray[np.int64]
    owners: npt.NDArray[np.int64]

    def lookup(self, keys: Sequence[str]) -> npt.NDArray[np.int64]:
        """The codes of ``keys``, in order; -1 for a key no record has."""
        wanted = np.fromiter(map(hash, keys), np.int64, len(keys))
        if not len(self.hashes):
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.hashes, wanted), len(self.hashes) - 1)
        return np.where(self.hashes[at] == wanted, at, -1)

    def slices(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Where each key's records start in ``owners``, and how many there are."""
        sizes = np.bincount(self.codes, minlength=len(self.hashes))
        return np.cumsum(sizes) - sizes, sizes


def code_keys(record_keys: Sequence[Sequence[str]]) -> KeyCodes:
    """The keys of every record (in order, as :func:`key_list` gives them) as integers:
    their hashes, taken in C and sorted by numpy, where a dictionary of a large build's
    millions of keys costs an insertion and a lookup in Python for each. The records come in
    order, so one stable sort by hash leaves each key's records in order too."""
    flat = list(chain.from_iterable(record_keys))
    hashes = np.fromiter(map(hash, flat), np.int64, len(flat))
    order = np.argsort(hashes, kind="stable")  # by key, then by record
    hashes = hashes[order]
    sizes = np.fromiter(map(len, record_keys), np.int64, len(record_keys))
    members = np.repeat(np.arange(len(record_keys), dtype=np.int64), sizes)[order]
    new = np.ones(len(hashes), dtype=bool)
    new[1:] = hashes[1:] != hashes[:-1]
    keyed = np.cumsum(new) - 1
    first = new.copy()  # a key's first entry, or another record's
    first[1:] |= members[1:] != members[:-1]
    return KeyCodes(hashes[new], keyed[first], members[first])


def candidate_pairs(
    records: Sequence[Features],
    max_block: int,
    record_keys: Sequence[Sequence[str]] | None = None,
    groups: npt.NDArray[np.int64] | None = None,
) -> tuple[Pairs, BlockingStats]:
    """Every pair of records that share a key in a block of at most ``max_block`` records;
    ``record_keys`` are the records' keys when they are known already (:func:`key_list`).
    With ``groups`` (a number per record: its system), only pairs of records in different
    groups: the pairs inside one system are never made, let alone compared.

    Each key becomes an integer (:func:`code_keys`); the (key, record)
    entries are sorted into blocks with numpy, and the pairs of all blocks of one size are
    made at once: the blocks as rows of a matrix, the pairs as its columns taken two by
    two."""
    found = [key_list(f) for f in records] if record_keys is None else record_keys
    return pairs_of_blocks(code_keys(found), len(records), max_block, groups)


def pairs_of_blocks(
    coded: KeyCodes,
    count: int,
    max_block: int,
    groups: npt.NDArray[np.int64] | None = None,
    names: npt.NDArray[np.int64] | None = None,
) -> tuple[Pairs, BlockingStats]:
    """The candidate pairs of ``count`` records whose keys are ``coded``; with ``groups``,
    only pairs across groups. ``names`` are the records' cleaned company names as codes (-1
    for a person or none): a block is then as large as its names, not its records (one of
    each name in it is compared, :func:`same_name_pairs` pairs it with the others), and the
    records of one name are chained."""
    keyed, members = coded.codes, coded.owners
    starts, sizes = coded.slices()
    too_large = sizes > max_block
    kept = np.flatnonzero((sizes >= 2) & ~too_large)
    kept = kept[np.argsort(sizes[kept], kind="stable")]
    bounds = np.flatnonzero(np.diff(sizes[kept])) + 1
    width = max(count, 1)
    chunks = [np.zeros(0, dtype=np.int64)]

    def add(lefts: npt.NDArray[np.int64], rights: npt.NDArray[np.int64]) -> None:
        if groups is not None:
            across = groups[lefts] != groups[rights]
            lefts, rights = lefts[across], rights[across]
        chunks.append(lefts * width + rights)

    for group in np.split(kept, bounds) if len(kept) else []:
        size = int(sizes[group[0]])
        matrix = members[starts[group][:, None] + np.arange(size)]
        left, right = np.triu_indices(size, k=1)
        add(matrix[:, left].ravel(), matrix[:, right].ravel())
    if names is not None:
        with_names = np.zeros(len(sizes), dtype=bool)
        if len(sizes):  # blocks holding a named company (none of people's blocks do)
            with_names = np.add.reduceat((names[members] >= 0).astype(np.int64), starts) > 0
        for code in np.flatnonzero(too_large & with_names).tolist():
            inside = members[starts[code] : starts[code] + sizes[code]]
            theirs = names[inside]
            _, first = np.unique(theirs, return_index=True)
            one_each = np.union1d(inside[first], inside[theirs < 0])
            if len(one_each) <= max_block:
                too_large[code] = False
                left, right = np.triu_indices(len(one_each), k=1)
                add(one_each[left], one_each[right])
        chained = same_name_pairs(names, groups)
        chunks.append(chained[:, 0] * width + chained[:, 1])
    pair_codes = np.unique(np.concatenate(chunks))
    pairs = np.stack([pair_codes // width, pair_codes % width], axis=1)
    stats = BlockingStats(
        keys=len(keyed),
        blocks=int((sizes > 0).sum()),
        skipped_blocks=int(too_large.sum()),
        records_in_skipped_blocks=len(np.unique(members[too_large[keyed]])),
        largest_block=int(sizes.max()) if len(sizes) else 0,
        candidate_pairs=len(pairs),
    )
    return pairs, stats


def same_name_pairs(
    names: npt.NDArray[np.int64], groups: npt.NDArray[np.int64] | None = None
) -> Pairs:
    """Pairs that chain the records of the same name (``names``: codes, -1 for none): each
    is paired with the one before it in its name; with ``groups`` (only pairs across
    groups), each with the first of its name in a group other than its own, and that one
    with the first."""
    chosen = np.flatnonzero(names >= 0)
    order = chosen[np.argsort(names[chosen], kind="stable")]
    if len(order) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    codes = names[order]
    if groups is None:
        same = codes[1:] == codes[:-1]
        left, right = order[:-1][same], order[1:][same]
    else:
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        sizes = np.diff(np.r_[starts, len(order)])
        first = np.repeat(order[starts], sizes)  # each record's first of its name
        other = groups[order] != groups[first]
        position = np.where(other, np.arange(len(order)), len(order))
        first_other_at = np.minimum.reduceat(position, starts)
        has_other = np.repeat(first_other_at < len(order), sizes)
        first_other = np.repeat(order[np.minimum(first_other_at, len(order) - 1)], sizes)
        partner = np.where(other, first, first_other)
        keep = has_other & (partner != order)
        left, right = partner[keep], order[keep]
    return np.stack([np.minimum(left, right), np.maximum(left, right)], axis=1)


def all_pairs(count: int) -> Pairs:
    """Every pair of ``count`` records: the baseline blocking is measured against."""
    left, right = np.triu_indices(count, k=1)
    return np.stack([left, right], axis=1).astype(np.int64)
