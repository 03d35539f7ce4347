"""Entity resolution: which records in which systems are the same person or company.

Records (:class:`Record`) go in; :meth:`Resolver.resolve` blocks them into candidate pairs,
compares fields by type, scores pairs with a Fellegi–Sunter model fitted by EM (no labels),
bands them into match / maybe / non-match, applies manual overrides and clusters the matches
into entities (:class:`Entity`) with the evidence for each link. Pairs a person should decide
come back as :class:`Review` items.
"""

from connectors.resolution.blocking import (
    BlockingStats,
    KeyCodes,
    candidate_pairs,
    code_keys,
    key_list,
    keys,
)
from connectors.resolution.clustering import OverrideConflict
from connectors.resolution.compare import COMPANY, MISSING, PERSON, Comparison, comparisons_for
from connectors.resolution.engine import (
    Prepared,
    ResolutionError,
    Resolver,
    ResolverSettings,
    lasting,
    paused_gc,
)
from connectors.resolution.features import Features, features
from connectors.resolution.linking import LinkJudge
from connectors.resolution.model import FieldModel, MatchModel, fit
from connectors.resolution.records import Kind, Override, Record, RecordKey, Verdict
from connectors.resolution.results import (
    Band,
    Cluster,
    Clustering,
    Entity,
    Evidence,
    Link,
    Resolution,
    ResolutionStats,
    Review,
)

__all__ = [
    "COMPANY",
    "MISSING",
    "PERSON",
    "Band",
    "BlockingStats",
    "Cluster",
    "Clustering",
    "Comparison",
    "Entity",
    "Evidence",
    "Features",
    "FieldModel",
    "KeyCodes",
    "Kind",
    "Link",
    "LinkJudge",
    "MatchModel",
    "Override",
    "OverrideConflict",
    "Prepared",
    "Record",
    "RecordKey",
    "Resolution",
    "ResolutionError",
    "ResolutionStats",
    "Resolver",
    "ResolverSettings",
    "Review",
    "Verdict",
    "candidate_pairs",
    "code_keys",
    "comparisons_for",
    "features",
    "fit",
    "key_list",
    "keys",
    "lasting",
    "paused_gc",
]
