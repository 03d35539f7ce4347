"""Which records of the identity graph share a blocking key: what a refresh asks to find the
records a changed one must be compared with (:meth:`BlockIndex.sharing`).

A build hands over the keys the resolver coded (:class:`~connectors.resolution.KeyCodes`)
and they are kept as they are: arrays sorted by key, each key's records a slice. A set of
records per key would cost a Python insertion for each of a large build's millions of
(key, record) entries, and some 200 bytes for each of its millions of keys. What a refresh
changes goes beside the arrays: the records it adds are filed in a set per key, the ones it
takes away (removed, or changed and filed again) are marked gone from the arrays, and each
key's count of records still there goes down, so a key grown too large is told at once
however many records the refreshes before took away.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from connectors.resolution import KeyCodes, RecordKey, code_keys


class BlockIndex:
    """The records filed under each blocking key; ``records[i]`` is record ``i`` of
    ``coded``."""

    def __init__(self, records: Sequence[RecordKey], coded: KeyCodes) -> None:
        self._records = list(records)
        self._position = dict(zip(self._records, range(len(self._records)), strict=True))
        self._coded = coded
        self._members = coded.owners
        self._starts, self._sizes = coded.slices()
        self._current = np.ones(len(self._records), dtype=bool)
        self._live = self._sizes.copy()  # each key's records in the arrays not taken away
        self._added: defaultdict[str, set[RecordKey]] = defaultdict(set)

    @classmethod
    def of(cls, filed: Iterable[tuple[RecordKey, Sequence[str]]]) -> BlockIndex:
        """The index of records, each with its blocking keys."""
        records, keys = [], []
        for record, found in filed:
            records.append(record)
            keys.append(found)
        return cls(records, code_keys(keys))

    def sharing(self, blocks: Iterable[str], most: int) -> set[RecordKey]:
        """The records filed under any of ``blocks``, leaving out each block of more than
        ``most`` records. The blocks' codes are looked up at once (one search of the coded
        keys for a refresh's tens of thousands)."""
        wanted = list(set(blocks))
        out: set[RecordKey] = set()
        for block, code in zip(wanted, self._coded.lookup(wanted).tolist(), strict=True):
            found = self._filed(block, code, most)
            if found:
                out |= found
        return out

    def _filed(self, block: str, code: int, most: int) -> set[RecordKey] | None:
        """The records filed under ``block`` (coded ``code``, -1 if it is not in the
        arrays), or ``None`` when there are more than ``most``."""
        added = self._added.get(block)
        if code < 0:
            found = set(added) if added else set()
            return found if len(found) <= most else None
        if int(self._live[code]) > most:
            return None
        size = int(self._sizes[code])
        start = int(self._starts[code])
        inside = self._members[start : start + size]
        if size > self._live[code]:
            inside = inside[self._current[inside]]
        records = self._records
        found = {records[i] for i in inside.tolist()}
        if added:
            found |= added
        return found if len(found) <= most else None

    def add(self, record: RecordKey, blocks: Iterable[str]) -> None:
        """File ``record`` under ``blocks`` (a record taken away first, if it was filed)."""
        for block in blocks:
            self._added[block].add(record)

    def remove(self, filed: Iterable[tuple[RecordKey, Sequence[str]]]) -> None:
        """Take each record, filed under its blocks, away (one taken away before is not
        counted again)."""
        counted: list[str] = []
        for record, blocks in filed:
            position = self._position.get(record)
            if position is not None and self._current[position]:
                self._current[position] = False
                counted += set(blocks)
            for block in blocks:
                added = self._added.get(block)
                if added is not None:
                    added.discard(record)
        codes = self._coded.lookup(counted)
        np.subtract.at(self._live, codes[codes >= 0], 1)
