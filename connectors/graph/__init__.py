"""The identity graph: the entities the resolution engine finds across every connected
system, kept in the database and refreshed incrementally, with people's overrides.

Connectors give their records through :class:`IdentitySource`; :class:`IdentityGraph`
builds, loads, refreshes and overrides; the company directory
(:class:`connectors.identity.IdentityDirectory`) serves lookups from it.
"""

from connectors.graph.graph import LINKING, GraphChange, IdentityGraph
from connectors.graph.source import IdentitySource, SourceChanges, SourceRecord, SourceSnapshot

__all__ = [
    "LINKING",
    "GraphChange",
    "IdentityGraph",
    "IdentitySource",
    "SourceChanges",
    "SourceRecord",
    "SourceSnapshot",
]
