"""Who is asking: a Slack user, through their profile email, to a person in the directory.

Only the directory (or Slack saying it has no such user) can refuse someone. When Slack
blinks instead (429s past the client's retries, a 5xx, a timeout), that is
:class:`RequesterUnavailable`: nothing is cached, and the person is asked to try again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack_errors import delivery_error
from connectors.identity import IdentityDirectory
from workflows.clock import Clock, SystemClock
from workflows.models import Principal

log = structlog.get_logger(__name__)
# How long a Slack user's principal is kept before Slack and the directory are asked again,
# so a changed email, name, role or time zone takes effect (the access layer keeps its own).
PRINCIPAL_TTL = timedelta(minutes=5)


class UnknownRequester(Exception):
    """The Slack user could not be matched to a person at the company; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RequesterUnavailable(Exception):
    """Slack could not say who the user is right now; asking again later may work."""


@dataclass
class SlackPeople:
    """Resolves Slack users to principals (``users.info`` → email → directory), cached for
    ``ttl`` on ``clock``; a principal carries the time zone Slack has for the user."""

    client: AsyncWebClient
    directory: IdentityDirectory
    clock: Clock = field(default_factory=SystemClock)
    ttl: timedelta = PRINCIPAL_TTL
    _cache: dict[str, tuple[datetime, Principal]] = field(default_factory=dict)

    async def principal(self, user_id: str) -> Principal:
        now = self.clock.now()
        cached = self._cache.get(user_id)
        if cached is not None and now < cached[0]:
            return cached[1]
        email, tz = await self._profile(user_id)
        employee = self.directory.find_employee(email)
        if employee is None:
            raise UnknownRequester(
                f"your Slack email ({email}) does not match anyone in the company directory"
            )
        principal = Principal(
            email=employee.email,
            name=employee.name,
            roles=tuple(employee.roles),
            slack_user_id=user_id,
            tz=tz,
        )
        self._cache[user_id] = (now + self.ttl, principal)
        return principal

    async def _profile(self, user_id: str) -> tuple[str, str | None]:
        """The user's email and their time zone as Slack has it (``tz``, e.g.
        ``America/New_York``; None when Slack gives none)."""
        response = await self._users_info(user_id)
        user = response.get("user") or {}
        email = (user.get("profile") or {}).get("email")
        if not email:
            raise UnknownRequester(
                "your Slack profile has no email I can read (the app needs users:read.email)"
            )
        tz = user.get("tz")
        return str(email), str(tz) if isinstance(tz, str) and tz else None

    async def _users_info(self, user_id: str) -> AsyncSlackResponse:
        try:
            return await self.client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            error = delivery_error(exc)
        log.warning("slack.users_info_failed", user=user_id, error=str(error))
        if error.retryable:
            raise RequesterUnavailable(str(error)) from None
        if error.code in ("user_not_found", "users_not_found"):
            raise UnknownRequester("Slack does not know your user id") from None
        raise UnknownRequester(f"Slack would not tell me who you are ({error.code})") from None
