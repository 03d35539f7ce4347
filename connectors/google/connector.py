"""Google Workspace as a connector (:class:`~connectors.protocol.Connector`): Gmail serves
``email`` and Google Calendar serves ``calendar`` in place of the demo world's, each over its
own pooled ``httpx.AsyncClient``, with one service account acting as the delegated subject.
Each API's requests spend its own rate budget; the token service's (one an hour, to another
host with limits of its own) spend none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

import httpx

from connectors.google import calendar, gmail
from connectors.google.auth import KeyFileProblem, ServiceAccountKey, TokenSource
from connectors.google.client import GoogleClient
from connectors.health import probe
from connectors.pacing import Pacing, pace_client
from connectors.protocol import RateLimit, Reachability
from workflows.catalog import AnyOperation
from workflows.clock import Clock

if TYPE_CHECKING:
    from connectors.google.config import GoogleConfig
    from connectors.identity import IdentityDirectory

# Gmail allows 250 quota units a second per user (a read costs 5); Calendar, 600 requests a
# minute per user. Stay well inside both.
DEFAULT_LIMITS: Final = {
    gmail.SYSTEM: RateLimit(per_second=20, burst=10),
    calendar.SYSTEM: RateLimit(per_second=5, burst=5),
}


class GoogleConnector:
    """Gmail and/or Google Calendar; a client is ``None`` for an API not configured, and
    ``problem`` says why none can be asked (no key file, or an unusable one)."""

    name = "google"

    def __init__(
        self,
        *,
        gmail_client: GoogleClient | None,
        calendar_client: GoogleClient | None,
        config: GoogleConfig,
        clock: Clock,
        token_http: httpx.AsyncClient | None = None,
        problem: str = "",
    ) -> None:
        self.gmail, self.calendar = gmail_client, calendar_client
        self.config, self.clock, self.problem = config, clock, problem
        self.token_http = token_http

    def systems(self) -> Mapping[str, str]:
        found = {}
        if self.config.gmail:
            found[gmail.SYSTEM] = "Mailbox"
        if self.config.calendar:
            found[calendar.SYSTEM] = "Calendar"
        return found

    def operations(self, directory: IdentityDirectory) -> Sequence[AnyOperation]:
        ops: list[AnyOperation] = []
        if self.gmail is not None:
            ops += gmail.gmail_operations(self.gmail, directory, self.config.subject)
        if self.calendar is not None:
            ops += calendar.calendar_operations(self.calendar, self.config.calendar_id, self.clock)
        return ops

    def rate_limits(self) -> Mapping[str, RateLimit]:
        return {s: DEFAULT_LIMITS[s] for s in self.systems()}

    def pace(self, pacing: Pacing) -> None:
        """Every request to Gmail or Calendar (a resend after a 401 too) waits its turn."""
        for client in (self.gmail, self.calendar):
            if client is not None:
                pace_client(client.http, client.system, pacing)

    async def health(self) -> Sequence[Reachability]:
        """One cheap authorised read per API (the mailbox's profile, the calendar itself):
        it says whether Google answers, takes the service account's key and lets it act as
        the subject."""
        found = []
        checks = {gmail.SYSTEM: (self.gmail, f"{gmail.MAILBOX}/profile"),
                  calendar.SYSTEM: (self.calendar, self._calendar_path())}  # fmt: skip
        for system in self.systems():
            client, path = checks[system]
            found.append(await self._check(system, client, path))
        return found

    def _calendar_path(self) -> str:
        return f"/calendar/v3/calendars/{quote(self.config.calendar_id, safe='@.')}"

    async def _check(self, system: str, client: GoogleClient | None, path: str) -> Reachability:
        label = gmail.LABEL if system == gmail.SYSTEM else calendar.LABEL
        note = f"{label} as {self.config.subject}"
        if client is None:
            return Reachability(system=system, reachable=False, authorised=False,
                                problem=self.problem, note=note)  # fmt: skip
        note = f"{note} at {client.http.base_url.host}"
        return await probe(system, note, lambda: client.get(path))

    async def aclose(self) -> None:
        for client in (self.gmail, self.calendar):
            if client is not None:
                await client.http.aclose()
        if self.token_http is not None:
            await self.token_http.aclose()


def open_google(config: GoogleConfig, *, clock: Clock) -> GoogleConnector:
    """The connector for ``config``: the service account's key (from ``key_file``, or
    ``GOOGLE_APPLICATION_CREDENTIALS``), one token source for the configured APIs' scopes,
    and one client per API with a time limit on every exchange."""
    if config.key_file is None:
        problem = ("GOOGLE_APPLICATION_CREDENTIALS is not set, so Google was not asked: set "
                   "it (or key_file) to the service account's JSON key file")  # fmt: skip
        return GoogleConnector(gmail_client=None, calendar_client=None, config=config,
                               clock=clock, problem=problem)  # fmt: skip
    try:
        key = ServiceAccountKey.from_file(config.key_file)
    except KeyFileProblem as exc:
        return GoogleConnector(gmail_client=None, calendar_client=None, config=config,
                               clock=clock, problem=f"{exc}, so Google was not asked")  # fmt: skip
    timeout = httpx.Timeout(config.timeout_s)
    limits = httpx.Limits(max_connections=config.max_connections)
    token_http = httpx.AsyncClient(timeout=timeout)
    scopes = [
        s for s, on in ((gmail.SCOPES, config.gmail), (calendar.SCOPES, config.calendar)) if on
    ]
    tokens = TokenSource(
        key, http=token_http, token_url=config.token_url, scopes=" ".join(scopes),
        subject=config.subject, label="Google's token service", system="google", clock=clock,
    )  # fmt: skip

    def client(base_url: str, system: str, label: str) -> GoogleClient:
        http = httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits)
        return GoogleClient(http, tokens, system=system, label=label, clock=clock)

    return GoogleConnector(
        gmail_client=client(config.gmail_url, gmail.SYSTEM, gmail.LABEL) if config.gmail else None,
        calendar_client=(
            client(config.calendar_url, calendar.SYSTEM, calendar.LABEL)
            if config.calendar
            else None
        ),
        config=config,
        clock=clock,
        token_http=token_http,
    )
