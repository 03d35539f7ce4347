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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


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

    def groups(self) -> list[list[int]]:
        """Every cluster's members, sorted, clusters in order of their first record."""
        return sorted((sorted(m) for m in self.members.values()), key=lambda g: g[0])


def cluster(
    count: int,
    links: Sequence[tuple[int, int]],
    *,
    must: Iterable[tuple[int, int]] = (),
    cannot: Iterable[tuple[int, int]] = (),
    conflicts: Iterable[tuple[int, int]] = (),
) -> tuple[Clusters, list[int]]:
    """Cluster ``count`` records. ``links`` are matched pairs, strongest first; ``must`` and
    ``cannot`` the manual overrides; ``conflicts`` the model's strong non-matches. Returns the
    clusters and the indices (into ``links``) of the links refused by the guard."""
    clusters = Clusters(count)
    cannot = list(cannot)
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
