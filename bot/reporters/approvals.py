"""Approvals shown in Slack: a DM to each approver (or one post in the approvals channel), notes
in the requester's thread, and every copy brought to its final state once decided.

Each call is made from inside a durable step and may run again (a retry, a recovered run), so
every post carries message metadata (:func:`approval_metadata`, :func:`note_metadata`: the
approval id, its level and the kind of note) and is first looked for where it would be before
it is posted again (:func:`~bot.reporters.posted.find_posted`, matching the metadata exactly).
Edits (``chat.update``) are safe to repeat as they are. Slack's failures leave as classified
:class:`~workflows.errors.DeliveryError`s, so only transient ones are retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import structlog
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.render import kit
from bot.render.approvals import (
    Words,
    approval_rendering,
    escalated_note,
    settled_note,
    waiting_note,
)
from bot.render.blocks import Rendering
from bot.reporters.posted import find_posted
from bot.reporters.replies import Message, SlackReplies
from workflows.approvals.models import Approval, MessageRef
from workflows.approvals.policy import ApprovalPolicy
from workflows.engine.repeats import may_have_happened
from workflows.errors import PermanentDeliveryError
from workflows.models import RunRequest
from workflows.ports import People

log = structlog.get_logger(__name__)

APPROVAL_EVENT = "crosswire_approval"
NOTE_EVENT = "crosswire_approval_note"
NoteKind = Literal["waiting", "escalated", "settled"]
UNKNOWN_USER = frozenset({"users_not_found", "user_not_found"})


def approval_words(people: People, policy: ApprovalPolicy | None) -> Words:
    """People named from the directory, rules in the policy's plain words."""

    def name(email: str) -> str:
        employee = people.find_employee(email)
        return employee.name if employee is not None else email

    def why(rule_name: str) -> str:
        rule = policy.rule(rule_name) if policy is not None else None
        return rule.why if rule is not None else rule_name

    return Words(names=name, rules=why)


def approval_metadata(approval: Approval) -> dict[str, Any]:
    """Marks a copy of the approval message: which approval, at which escalation level."""
    payload = {"approval_id": approval.id, "level": approval.level}
    return {"event_type": APPROVAL_EVENT, "event_payload": payload}


def note_metadata(approval: Approval, kind: NoteKind) -> dict[str, Any]:
    """Marks a note in the requester's thread about one approval."""
    payload = {"approval_id": approval.id, "level": approval.level, "note": kind}
    return {"event_type": NOTE_EVENT, "event_payload": payload}


@dataclass(frozen=True)
class SlackApprovalNotifier:
    """The :class:`~workflows.ports.ApprovalNotifier` for Slack. ``people`` names approvers;
    with ``channel`` (``CROSSWIRE_APPROVALS_CHANNEL``) approvals are posted there once instead
    of to each approver's DM; ``policy`` gives each rule's plain words."""

    client: AsyncWebClient
    people: People
    channel: str | None = None
    policy: ApprovalPolicy | None = None

    async def requested(self, approval: Approval, request: RunRequest) -> tuple[MessageRef, ...]:
        refs = await self._post_to(approval, approval.approvers)
        await self._note(request, approval, waiting_note(approval, self.words), "waiting")
        return refs

    async def escalated(
        self, approval: Approval, request: RunRequest, added: tuple[str, ...]
    ) -> tuple[MessageRef, ...]:
        await self._update_all(approval)  # the earlier copies name the new approvers and expiry
        refs = await self._post_to(approval, added)
        note = escalated_note(approval, added, self.words)
        await self._note(request, approval, note, "escalated")
        return refs

    async def settled(self, approval: Approval, request: RunRequest) -> None:
        await self._update_all(approval)
        await self._note(request, approval, settled_note(approval), "settled")

    @property
    def words(self) -> Words:
        return approval_words(self.people, self.policy)

    async def _post_to(self, approval: Approval, emails: Sequence[str]) -> tuple[MessageRef, ...]:
        if self.channel:
            return (await self._post_once(approval, self.channel, approver=""),)
        refs: list[MessageRef] = []
        for email in emails:
            dm = await self._dm_of(email)
            if dm is not None:
                refs.append(await self._post_once(approval, dm, approver=email))
        if not refs:
            raise PermanentDeliveryError(
                f"none of the approvers ({', '.join(emails)}) could be found in Slack",
                code="users_not_found",
            )
        return tuple(refs)

    async def _dm_of(self, email: str) -> str | None:
        """The DM channel with the person who has ``email`` in Slack; None if nobody has."""
        try:
            user = await self._call(self.client.users_lookupByEmail(email=email))
        except PermanentDeliveryError as exc:
            if exc.code not in UNKNOWN_USER:
                raise
            log.warning("slack.approver_not_found", email=email)
            return None
        opened = await self._call(self.client.conversations_open(users=str(user["user"]["id"])))
        return str(opened["channel"]["id"])

    async def _post_once(self, approval: Approval, channel: str, *, approver: str) -> MessageRef:
        metadata = approval_metadata(approval)
        found = await self._find_repeat(channel, None, metadata, approval.created_at)
        if found is None:
            shown = approval_rendering(approval, self.words)
            response = await self._call(
                self.client.chat_postMessage(
                    channel=channel,
                    text=kit.fallback(shown.text),
                    blocks=kit.fit(shown.blocks),
                    metadata=metadata,
                    unfurl_links=False,
                )
            )
            found = str(response["ts"])
        return MessageRef(channel=channel, ts=found, approver=approver)

    async def _update_all(self, approval: Approval) -> None:
        """Every copy shows ``approval`` as it now stands; one Slack lost is logged and left."""
        shown = approval_rendering(approval, self.words)
        for ref in approval.messages:
            try:
                await self._call(
                    self.client.chat_update(
                        channel=ref.channel,
                        ts=ref.ts,
                        text=kit.fallback(shown.text),
                        blocks=kit.fit(shown.blocks),
                    )
                )
            except PermanentDeliveryError as exc:
                log.warning("slack.approval_update_refused", channel=ref.channel, error=str(exc))

    async def _note(
        self, request: RunRequest, approval: Approval, shown: Rendering, kind: NoteKind
    ) -> None:
        """A note where the requester asked (the thread, or the command's channel)."""
        objective = request.objective
        reply = objective.reply
        if reply.kind != "slack" or not reply.channel:
            return  # asked outside Slack: the terminal shows approvals itself
        metadata = note_metadata(approval, kind)
        if await self._find_repeat(reply.channel, reply.thread_ts, metadata, approval.created_at):
            return
        message = Message(kit.fallback(shown.text), shown.blocks, metadata)
        await SlackReplies(self.client).publish(objective, message, thread_ts=reply.thread_ts)

    async def _find_repeat(
        self, channel: str, thread_ts: str | None, metadata: Mapping[str, Any], since: datetime
    ) -> str | None:
        """The ts of the post ``metadata`` marks, if this step may have made it already."""
        if not await may_have_happened():
            return None
        return await find_posted(
            self.client,
            channel,
            thread_ts=thread_ts,
            metadata=metadata,
            since=since,
            matches=same_metadata,
        )

    async def _call(self, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        return await SlackReplies(self.client).call(call)


def same_metadata(message: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    """Whether a message from Slack carries exactly ``metadata`` (approval id and level)."""
    found = message.get("metadata")
    return isinstance(found, Mapping) and dict(found) == dict(metadata)
