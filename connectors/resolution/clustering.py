"""Clustering matched pairs into entities: union-find with a guard against chaining.

Plain connected components let a chain of individually plausible links (A and B share a
switchboard number, B and C have similar names) join records the model itself judged
different when it compared them directly. So merges happen strongest link first, and a
merge is **refused** when any record on one side has a *conflict* with any record on the
other: a human said "not the same", or the two were compared and their Bayes factor was a
strong non-match. The guard uses direct evidence only, costs little more than plain
union-find (conflict sets move small-into-large), and is the same mechanism that enforces
cannot-link overrides. Refused links are returned so a person can look at them.

Must-link pairs (a human said "the same") are merged first and are never refused by the
model; a must-link that contradicts a cannot-link is an error the caller reports.

Most records never meet a conflict: the connected components of the links are found over
whole arrays (:func:`components`), and only the components holding a conflict (or a "not
same") go through the guarded union-find, one link at a time; every other component is a
cluster as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Labels = npt.NDArray[np.int64]
"""Each record's cluster, named by its lowest record."""


class OverrideConflict(ValueError):
    """Manual overrides contradict each other (A same as B, B same as C, A not C): joining
    records ``left`` and ``right`` would put a "not same" pair in one entity."""

    def __init__(self, left: int, right: int) -> None:
        super().__init__(f"records {left} and {right} are kept apart by a 'not same' override")
        self.left = left
        self.right = right


@dataclass
class Clusters:
    """Union-find over ``count`` records, with each cluster's members and conflicts."""

    count: int
    parent: list[int] = field(init=False)
    members: dict[int, list[int]] = field(init=False)
    conflicts: dict[int, set[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.parent = list(range(self.count))
        self.members = {i: [i] for i in range(self.count)}
        self.conflicts = {}

    def find(self, i: int) -> int:
        """The root of ``i``'s cluster (with path halving)."""
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def add_conflict(self, a: int, b: int) -> None:
        """Records ``a`` and ``b`` must never share a cluster."""
        self.conflicts.setdefault(self.find(a), set()).add(b)
        self.conflicts.setdefault(self.find(b), set()).add(a)

    def blocked(self, ra: int, rb: int) -> bool:
        """Whether merging the clusters rooted at ``ra`` and ``rb`` would join a conflict."""
        # Conflicts are kept on both sides, so the larger side's set alone tells; most
        # clusters have none, and their merges cost two lookups here.
        small, large_root = self.members[ra], rb
        if len(small) > len(self.members[rb]):
            small, large_root = self.members[rb], ra
        against = self.conflicts.get(large_root)
        return against is not None and any(m in against for m in small)

    def union(self, ra: int, rb: int) -> None:
        """Merge two clusters given by their roots (smaller into larger)."""
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        moved = self.conflicts.pop(rb, None)
        if moved:
            self.conflicts.setdefault(ra, set()).update(moved)


@dataclass(frozen=True)
class Partition:
    """Records in clusters: ``label`` names each record's cluster by its lowest record."""

    label: Labels

    def find(self, i: int) -> int:
        """The cluster of record ``i`` (its lowest record)."""
        return int(self.label[i])

    def groups(self) -> list[list[int]]:
        """Every cluster's members, sorted, clusters in order of their first record."""
        order = np.argsort(self.label, kind="stable")  # by cluster, each in record order
        bounds = (np.flatnonzero(np.diff(self.label[order])) + 1).tolist()
        members = order.tolist()
        return [members[a:b] for a, b in zip([0, *bounds], [*bounds, len(members)], strict=True)]


def cluster(
    count: int,
    links: Sequence[tuple[int, int]],
    *,
    must: Iterable[tuple[int, int]] = (),
    cannot: Iterable[tuple[int, int]] = (),
    conflicts: Iterable[tuple[int, int]] = (),
) -> tuple[Partition, list[int]]:
    """Cluster ``count`` records. ``links`` are matched pairs, strongest first; ``must`` and
    ``cannot`` the manual overrides; ``conflicts`` the model's strong non-matches. Returns the
    clusters and the indices (into ``links``) of the links refused by the guard."""
    must, cannot, conflicts = list(must), list(cannot), list(conflicts)
    joined = _pairs([*links, *must])
    label = components(count, joined)
    guarded = _pairs([*cannot, *conflicts])
    contested = np.unique(label[guarded[:, 0]][label[guarded[:, 0]] == label[guarded[:, 1]]])
    if not len(contested):
        return Partition(label), []
    # The contested components, on their own: their records renumbered 0, 1, …
    members = np.flatnonzero(np.isin(label, contested))
    local = np.full(count, -1, dtype=np.int64)
    local[members] = np.arange(len(members), dtype=np.int64)
    link_pairs = _pairs(links)
    inside = np.flatnonzero(local[link_pairs[:, 0]] >= 0) if len(link_pairs) else link_pairs[:0, 0]

    def kept(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(int(local[a]), int(local[b])) for a, b in pairs if local[a] >= 0 and local[b] >= 0]

    try:
        guarded_clusters, refused = _guarded(
            len(members),
            [(int(local[a]), int(local[b])) for a, b in link_pairs[inside].tolist()],
            must=kept(must),
            cannot=kept(cannot),
            conflicts=kept(conflicts),
        )
    except OverrideConflict as err:
        raise OverrideConflict(int(members[err.left]), int(members[err.right])) from err
    for group in guarded_clusters.members.values():
        records = members[group]
        label[records] = records.min()
    return Partition(label), [int(inside[i]) for i in refused]


def components(count: int, pairs: npt.NDArray[np.int64]) -> Labels:
    """Each record's connected component (its lowest record) in the graph of ``pairs``, by
    hooking and pointer jumping over whole arrays: each round points every pair's higher root
    at the lower, then follows pointers until each record points at a root."""
    label = np.arange(count, dtype=np.int64)
    a, b = pairs[:, 0], pairs[:, 1]
    while True:
        left, right = label[a], label[b]
        apart = left != right
        if not apart.any():
            return label
        left, right = left[apart], right[apart]
        low = np.minimum(left, right)
        np.minimum.at(label, np.maximum(left, right), low)
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped


def _pairs(pairs: Sequence[tuple[int, int]]) -> npt.NDArray[np.int64]:
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def _guarded(
    count: int,
    links: Sequence[tuple[int, int]],
    *,
    must: Sequence[tuple[int, int]],
    cannot: Sequence[tuple[int, int]],
    conflicts: Sequence[tuple[int, int]],
) -> tuple[Clusters, list[int]]:
    """The guarded union-find over ``count`` records, one link at a time."""
    clusters = Clusters(count)
    for a, b in cannot:
        clusters.add_conflict(a, b)
    for a, b in must:
        ra, rb = clusters.find(a), clusters.find(b)
        if ra != rb:
            if clusters.blocked(ra, rb):
                raise OverrideConflict(a, b)
            clusters.union(ra, rb)
    for a, b in conflicts:
        clusters.add_conflict(a, b)
    refused: list[int] = []
    for index, (a, b) in enumerate(links):
        ra, rb = clusters.find(a), clusters.find(b)
        if ra == rb:
            continue
        if clusters.blocked(ra, rb):
            refused.append(index)
        else:
            clusters.union(ra, rb)
    return clusters, refused
