"""Runs with no one typing: cron schedules for any objective, and pre-meeting briefings.

    when = parse_when("every weekday at 8am", "America/New_York")
    schedule = await store.add(when, "today's customer meetings", owner, channel="C123",
                               source="slack")
    when.describe(clock.now())  # "Every Monday to Friday at 08:00 America/New_York, next on …"

:class:`~workflows.schedules.service.Scheduler` (``crosswire serve``) runs them with
APScheduler, in one process per database at a time (:mod:`workflows.schedules.leadership`);
a tick's run id is the schedule id and the tick, so a tick fired twice starts one run. The
package's own surface is what the edge reads and writes (light to import: settings and the
command line load it); the scheduler's parts are imported from their modules, and the store
(SQLAlchemy) is imported when it is first asked for.
"""

from typing import TYPE_CHECKING

from workflows.lazy import lazy_exports
from workflows.schedules.models import (
    BriefingPrefs,
    Fire,
    Schedule,
    briefing_run_id,
    schedule_run_id,
)
from workflows.schedules.ports import Calendars, Mailroom, Roster
from workflows.schedules.when import EXAMPLES, BadWhen, When, parse_when

if TYPE_CHECKING:
    from workflows.schedules.store import ScheduleStore

__all__ = [
    "EXAMPLES",
    "BadWhen",
    "BriefingPrefs",
    "Calendars",
    "Fire",
    "Mailroom",
    "Roster",
    "Schedule",
    "ScheduleStore",
    "When",
    "briefing_run_id",
    "parse_when",
    "schedule_run_id",
]

# The store, imported when first used: settings check a schedules file without it.
__getattr__ = lazy_exports(__name__, {"ScheduleStore": "workflows.schedules.store"})
