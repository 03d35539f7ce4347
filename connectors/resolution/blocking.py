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
  Partners", "Bold Fieldd Partners" too); the phone.

A block larger than ``max_block`` is **skipped**, not sub-blocked, and counted in the stats:
such a key is common by nature (a generic word, a switchboard number), and each record's
other, more specific keys still pair it with its true duplicates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import jellyfish
import numpy as np
import numpy.typing as npt

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
    if f.kind == "person":
        return _person_keys(f)
    return _company_keys(f)


def _person_keys(f: Features) -> set[str]:
    out: set[str] = set()
    if f.email:
        out.add(f"p|e|{f.email}")
    if f.phone:
        out.add(f"p|t|{f.phone}")
    if f.last_code:
        initials = {name[0] for name in f.first_group} or {""}
        out |= {f"p|n|{f.last_code}|{i}" for i in initials}
        if f.domain:
            out.add(f"p|d|{f.domain}|{f.last_code}")
    out |= {f"p|i|{name}|{v}" for name, value in f.identifiers.items() for v in _typos(value)}
    words = f.address.split()
    if len(words) >= 2:  # the start (a street number and name) and the end (a postcode)
        out |= {f"p|a|{words[0]}|{words[1]}", f"p|a|{words[-2]}|{words[-1]}"}
    initials = {n[0] for n in (f.first, f.last) if n}
    for name, when in f.dates.items():
        out |= {f"p|b|{name}|{when.isoformat()}|{i}" for i in initials}
    return out


def _typos(value: str) -> set[str]:
    """``value`` and, for a long enough one, each of it with one character left out: two
    values one typo apart (a character changed, added, dropped, or two swapped) share one."""
    if len(value) < 5:
        return {value}
    return {value} | {value[:i] + "\x00" + value[i + 1 :] for i in range(len(value))}


def _company_keys(f: Features) -> set[str]:
    out: set[str] = set()
    if f.domain:
        out.add(f"c|d|{f.domain}")
    out |= {f"c|s|{s}" for s in (f.domain_stem, f.company_squashed) if len(s) >= 3}
    words = [w for w in f.company.split() if len(w) >= 2][:3]
    if len(words) == 1:
        out.add(f"c|w|{words[0]}")
    for other in words[1:]:
        out.add(f"c|w|{words[0]}|{other}")
        out.add(f"c|m|{jellyfish.metaphone(words[0])}|{jellyfish.metaphone(other)}")
    if f.phone:
        out.add(f"c|t|{f.phone}")
    return out


def candidate_pairs(records: Sequence[Features], max_block: int) -> tuple[Pairs, BlockingStats]:
    """Every pair of records that share a key in a block of at most ``max_block`` records.

    The pairs of all blocks of one size are made at once: the blocks as rows of a matrix,
    the pairs as its columns taken two by two."""
    blocks: defaultdict[str, list[int]] = defaultdict(list)
    for index, f in enumerate(records):
        for key in keys(f):
            blocks[key].append(index)
    by_size: defaultdict[int, list[list[int]]] = defaultdict(list)
    skipped = set[int]()
    skipped_blocks = 0
    for members in blocks.values():
        if len(members) > max_block:
            skipped_blocks += 1
            skipped.update(members)
        elif len(members) > 1:
            by_size[len(members)].append(members)
    width = max(len(records), 1)
    chunks = [np.zeros(0, dtype=np.int64)]
    for size, group in by_size.items():
        matrix = np.sort(np.asarray(group, dtype=np.int64), axis=1)
        left, right = np.triu_indices(size, k=1)
        chunks.append((matrix[:, left] * width + matrix[:, right]).ravel())
    codes = np.unique(np.concatenate(chunks))
    pairs = np.stack([codes // width, codes % width], axis=1)
    stats = BlockingStats(
        keys=sum(len(m) for m in blocks.values()),
        blocks=len(blocks),
        skipped_blocks=skipped_blocks,
        records_in_skipped_blocks=len(skipped),
        largest_block=max((len(m) for m in blocks.values()), default=0),
        candidate_pairs=len(pairs),
    )
    return pairs, stats


def all_pairs(count: int) -> Pairs:
    """Every pair of ``count`` records: the baseline blocking is measured against."""
    left, right = np.triu_indices(count, k=1)
    return np.stack([left, right], axis=1).astype(np.int64)
