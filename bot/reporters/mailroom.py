"""Where scheduled answers go in Slack: a channel, or the owner's DM with the bot.

The scheduler knows people by email; Slack by user id. ``users.lookupByEmail`` finds the
person (with their time zone, so a briefing's meeting shows in it), ``conversations.open``
their DM. Lookups are cached for the life of the process: a scheduler fires the same people
over and over; someone Slack does not know is asked for again after
:data:`UNKNOWN_RETRY_S` (they may have joined).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot.reporters.approvals import UNKNOWN_USER
from bot.reporters.replies import SlackReplies
from workflows.errors import DeliveryError
from workflows.models import Principal, ReplyTarget
from workflows.ports import People

log = structlog.get_logger(__name__)
UNKNOWN_RETRY_S = 300.0


@dataclass
class SlackMailroom:
    """A :class:`~workflows.schedules.ports.Mailroom` in a Slack workspace."""

    client: AsyncWebClient
    people: People
    _users: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    _unknown: dict[str, float] = field(default_factory=dict)  # email -> when Slack said so
    _dms: dict[str, str] = field(default_factory=dict)

    async def person(self, email: str) -> Principal | None:
        employee = self.people.find_employee(email)
        found = await self._user(email)
        if employee is None or found is None:
            return None
        user_id, tz = found
        return Principal(
            email=employee.email,
            name=employee.name,
            roles=tuple(employee.roles),
            slack_user_id=user_id,
            tz=tz,
        )

    async def reply_to(self, owner: Principal, channel: str | None) -> ReplyTarget | None:
        user_id = owner.slack_user_id or await self._user_id(owner.email)
        target = channel or (await self._dm(user_id) if user_id else None)
        if target is None:
            return None
        return ReplyTarget(kind="slack", channel=target, user_id=user_id, progress=False)

    async def tell(self, owner: Principal, text: str) -> None:
        user_id = owner.slack_user_id or await self._user_id(owner.email)
        if user_id is None:
            log.warning("schedule.owner_unreachable", email=owner.email)
            return
        try:
            dm = await self._dm(user_id)
            await SlackReplies(self.client).call(
                self.client.chat_postMessage(channel=dm, text=text)
            )
        except DeliveryError as exc:
            log.warning("schedule.owner_not_told", error=str(exc), code=exc.code)

    async def _user_id(self, email: str) -> str | None:
        found = await self._user(email)
        return None if found is None else found[0]

    async def _user(self, email: str) -> tuple[str, str | None] | None:
        key = email.strip().lower()
        if key in self._users:
            return self._users[key]
        if time.monotonic() - self._unknown.get(key, -UNKNOWN_RETRY_S) < UNKNOWN_RETRY_S:
            return None
        try:
            response = await SlackReplies(self.client).call(
                self.client.users_lookupByEmail(email=key)
            )
        except DeliveryError as exc:
            if exc.code not in UNKNOWN_USER:
                raise
            log.warning("schedule.person_not_in_slack", email=key)
            self._unknown[key] = time.monotonic()
            return None
        user = response["user"]
        self._users[key] = (str(user["id"]), user.get("tz"))
        return self._users[key]

    async def _dm(self, user_id: str) -> str:
        if user_id not in self._dms:
            replies = SlackReplies(self.client)
            opened = await replies.call(self.client.conversations_open(users=user_id))
            self._dms[user_id] = str(opened["channel"]["id"])
        return self._dms[user_id]
