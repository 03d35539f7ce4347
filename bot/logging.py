"""Logging, configured once for the process: JSON lines when not on a terminal, readable
console output when on one. Request, run and step ids are bound through contextvars.

Every library's records (Bolt, DBOS, SQLAlchemy, aiohttp, Python warnings) go through the
same structlog renderer, so with JSON logging every line on the stream is one JSON object;
an exception, however it is passed (``exc_info=True`` or the exception itself), becomes an
``exception`` field with the trace as text. Secrets are redacted from the rendered line.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Literal, TextIO

import structlog
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.settings import Settings
from workflows.audit.redaction import Redactor

LogFormat = Literal["auto", "json", "console"]
# DBOS adds its own console handler to the ``dbos`` logger unless it already has a handler.
DBOS_CONSOLE_HANDLER = "__dbos_console_log_handler__"
QUIET_LIBRARIES = ("dbos", "aiohttp.access", "sqlalchemy.engine")


def json_lines(fmt: LogFormat, stream: TextIO | None = None) -> bool:
    """Whether logs on ``stream`` (default stderr) are JSON lines."""
    return fmt == "json" or (fmt == "auto" and not (stream or sys.stderr).isatty())


def secrets_of(settings: Settings) -> list[str]:
    """The configured secret values: tokens, signing secret, API key, database password."""
    values = [
        v.get_secret_value()
        for v in (getattr(settings, name) for name in Settings.model_fields)
        if isinstance(v, SecretStr)
    ]
    values += settings.connectors.secrets()
    if settings.database_url:
        password = make_url(settings.database_url).password
        values += [str(password)] if password else []
    return values


def configure_logging(
    level: str = "INFO",
    fmt: LogFormat = "auto",
    *,
    stream: TextIO | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Route structlog and the standard library to ``stream`` (default stderr)."""
    out = stream or sys.stderr
    json_out = json_lines(fmt, out)
    base: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json_out
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    renderer = _redacting(base, Redactor(secrets))
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # One write per line (print() makes two), so lines from threads never interleave.
        logger_factory=structlog.WriteLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    _route_stdlib(out, shared, renderer, level.upper())
    if json_out:
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread


def _redacting(
    renderer: structlog.types.Processor, redactor: Redactor
) -> structlog.types.Processor:
    """``renderer``, then every secret in the rendered line replaced (reprs included)."""

    def render(logger: object, name: str, event: structlog.types.EventDict) -> str:
        return redactor.text(str(renderer(logger, name, event)))

    return render


def _route_stdlib(
    out: TextIO,
    shared: list[structlog.types.Processor],
    renderer: structlog.types.Processor,
    level: str,
) -> None:
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
    _adopt_dbos_logger()
    for noisy in QUIET_LIBRARIES:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _adopt_dbos_logger() -> None:
    """Send DBOS's records to the root handler instead of its own plain-text console.

    DBOS installs that console handler at launch only when its logger has no handler yet,
    so a do-nothing handler keeps it out; one installed by an earlier launch is removed."""
    dbos = logging.getLogger("dbos")
    dbos.handlers[:] = [h for h in dbos.handlers if h.name != DBOS_CONSOLE_HANDLER]
    if not dbos.handlers:
        dbos.addHandler(logging.NullHandler())
    dbos.propagate = True
    if not any(isinstance(f, _ParkedRuns) for f in dbos.filters):
        dbos.addFilter(_ParkedRuns())


class _ParkedRuns(logging.Filter):
    """DBOS warns when it cancels a workflow's task at shutdown. For a run waiting for an
    approval that is the normal way to stop: it stays PENDING and the next start resumes it.
    Other cancellations are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Asyncio task cancelled for workflow")


def _log_uncaught(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """An exception nobody caught, as one log line like any other (then the process ends)."""
    structlog.get_logger("crosswire").critical(
        "process.uncaught_exception",
        error=repr(error),
        exception="".join(traceback.format_exception(kind, error, trace)).rstrip(),
    )


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)


@contextmanager
def logs_to(path: Path, settings: Settings, *, extra_secrets: Iterable[str] = ()) -> Iterator[None]:
    """Within the block, logs go to the file at ``path`` (appended) instead of stderr; then
    back to stderr. The sandbox chat uses it so that log lines never land in the chat."""
    path.parent.mkdir(parents=True, exist_ok=True)
    secrets = [*secrets_of(settings), *extra_secrets]
    with path.open("a", encoding="utf-8", buffering=1) as file:
        configure_logging(settings.log_level, settings.log_format, stream=file, secrets=secrets)
        try:
            yield
        finally:
            configure_logging(settings.log_level, settings.log_format, secrets=secrets)
