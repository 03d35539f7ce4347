"""Pure data operations for plans: filter, sort, top N, count by a field, and join two lists
(by account, typically), on the records earlier steps returned.

They are catalog operations of their own system (``data``) rather than a library workflow:
any plan may compose them, they belong to no one answer, and they need no I/O, so they are
contributed to the catalog next to the connectors' operations::

    Catalog.of([*connector_operations, *data_operations()], {**labels, **SYSTEM_LABELS})
"""

from workflows.dataops.fields import SYSTEM, Comparison, DataError
from workflows.dataops.models import (
    CountByInput,
    FilterInput,
    JoinInput,
    Records,
    SortInput,
    TopInput,
)
from workflows.dataops.operations import (
    SYSTEM_LABELS,
    count_by,
    data_operations,
    filter_records,
    join_records,
    sort_records,
    top_records,
)

__all__ = [
    "SYSTEM",
    "SYSTEM_LABELS",
    "Comparison",
    "CountByInput",
    "DataError",
    "FilterInput",
    "JoinInput",
    "Records",
    "SortInput",
    "TopInput",
    "count_by",
    "data_operations",
    "filter_records",
    "join_records",
    "sort_records",
    "top_records",
]
