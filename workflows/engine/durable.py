"""DBOS Transact as Crosswire runs it: configuration, launch and shutdown.

* The application version is pinned (:data:`WORKFLOW_VERSION`), not DBOS's hash of the
  source, so a deploy does not orphan runs that are waiting. Workflow code must stay
  replay-compatible within a version; see docs/operations.md for a rolling deploy.
* Each replica has a stable executor id, so its pending runs can be found when it dies.
* On SQLite the notification listener polls often, so a message resumes a run quickly.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbos import DBOS, DBOSConfig
from sqlalchemy.engine import make_url

WORKFLOW_VERSION = "crosswire-2026.11"
SQLITE_POLL_S = 0.05


@dataclass(frozen=True)
class DurableSettings:
    system_database_url: str
    executor_id: str
    app_name: str = "crosswire"


def system_database_url(database_url: str, sqlite_file: str) -> str:
    """DBOS's own database beside the audit's: PostgreSQL shares it (schema ``dbos``),
    SQLite gets its own file (``sqlite_file``)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{sqlite_file}"
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def dbos_config(settings: DurableSettings) -> DBOSConfig:
    config: DBOSConfig = {
        "name": settings.app_name,
        "system_database_url": settings.system_database_url,
        "application_version": WORKFLOW_VERSION,
        "executor_id": settings.executor_id,
        "log_level": "WARNING",
    }
    if settings.system_database_url.startswith("sqlite"):
        config["notification_listener_polling_interval_sec"] = SQLITE_POLL_S
    return config


def launch(settings: DurableSettings) -> None:
    """Start DBOS in this process; call from inside the running event loop."""
    DBOS(config=dbos_config(settings))
    DBOS.launch()


def shutdown() -> None:
    """Stop DBOS; the registered workflows stay registered for a later launch."""
    DBOS.destroy(destroy_registry=False)
