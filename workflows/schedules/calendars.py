"""The calendars as the scheduler reads them: the catalog's ``calendar.meetings_between``,
whichever system serves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from workflows.catalog import CallContext, Catalog
from workflows.domain import Meeting, Meetings

OPERATION: Final = "calendar.meetings_between"
_CONTEXT: Final = CallContext(run_id="scheduler", step_id="meetings", requester_email="scheduler")


@dataclass(frozen=True)
class CatalogCalendars:
    """A :class:`~workflows.schedules.ports.Calendars` over the catalog."""

    catalog: Catalog

    async def meetings_between(self, start: datetime, end: datetime) -> list[Meeting]:
        operation = self.catalog.get(OPERATION)
        args = operation.input_model.model_validate({"starts_from": start, "starts_before": end})
        found = await operation.handler(args, _CONTEXT)
        assert isinstance(found, Meetings)
        return list(found.meetings)
