"""DBOS Transact as Crosswire runs it: configuration, launch and shutdown.

* The application version is pinned (:data:`WORKFLOW_VERSION`), not DBOS's hash of the
  source, so a deploy does not orphan runs that are waiting. Workflow code must stay
  replay-compatible within a version (``tests/workflows/test_replay_recorded_runs.py``
  replays a recorded run under the current code); see docs/operations.md for a rolling
  deploy.
* Each replica has a stable executor id, so its pending runs can be found when it dies.
* On SQLite the notification listener polls often, so a message resumes a run quickly, and
  the system database runs in WAL mode with ``synchronous=NORMAL``: a checkpoint costs a
  page write instead of several fsyncs (a process crash loses nothing; a power cut may lose
  the last checkpoints, which replay repeats; production runs on PostgreSQL).
* DBOS's worker thread pool is bounded: starting a thread per burst of work stalls the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from dbos import DBOS, DBOSConfig

from workflows.database_url import system_url

WORKFLOW_VERSION = "crosswire-2026.12"
SQLITE_POLL_S = 0.05
MAX_EXECUTOR_THREADS = 4


@dataclass(frozen=True)
class DurableSettings:
    system_database_url: str
    executor_id: str
    app_name: str = "crosswire"


def system_database_url(database_url: str, sqlite_file: str) -> str:
    """DBOS's own database beside the audit's: PostgreSQL shares it (schema ``dbos``, through
    psycopg), SQLite gets its own file (``sqlite_file``). ``database_url`` may be in any form
    :mod:`workflows.database_url` accepts."""
    return system_url(database_url, sqlite_file)


def dbos_config(settings: DurableSettings) -> DBOSConfig:
    config: DBOSConfig = {
        "name": settings.app_name,
        "system_database_url": settings.system_database_url,
        "application_version": WORKFLOW_VERSION,
        "executor_id": settings.executor_id,
        "log_level": "WARNING",
        "max_executor_threads": MAX_EXECUTOR_THREADS,
    }
    if settings.system_database_url.startswith("sqlite"):
        config["notification_listener_polling_interval_sec"] = SQLITE_POLL_S
        config["system_database_engine"] = sqlite_engine(settings.system_database_url)
    return config


def sqlite_engine(url: str) -> sa.Engine:
    """DBOS's own SQLite settings (IMMEDIATE writers, busy timeout, foreign keys) plus WAL."""
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = "IMMEDIATE"
        for pragma in (
            "busy_timeout=30000",
            "foreign_keys=ON",
            "journal_mode=WAL",
            "synchronous=NORMAL",
        ):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    return engine


def launch(settings: DurableSettings) -> None:
    """Start DBOS in this process; call from inside the running event loop."""
    DBOS(config=dbos_config(settings))
    DBOS.launch()


def shutdown() -> None:
    """Stop DBOS; the registered workflows stay registered for a later launch."""
    DBOS.destroy(destroy_registry=False)
