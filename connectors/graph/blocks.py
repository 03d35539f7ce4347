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
        self._codes = coded.index
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

    def sharing(self, block: str, most: int) -> set[RecordKey] | None:
        """The records filed under ``block``, or ``None`` when there are more than ``most``."""
        added = self._added.get(block)
        code = self._codes.get(block)
        if code is None:
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

    def remove(self, record: RecordKey, blocks: Iterable[str]) -> None:
        """Take ``record``, filed under ``blocks``, away."""
        position = self._position.get(record)
        if position is not None and self._current[position]:
            self._current[position] = False
            coded = [self._codes.get(block) for block in set(blocks)]
            self._live[[code for code in coded if code is not None]] -= 1
        for block in blocks:
            filed = self._added.get(block)
            if filed is not None:
                filed.discard(record)
