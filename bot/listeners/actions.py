"""Approval buttons and the modals they open (``block_actions``, ``view_submission``).

Every listener acks first, before any Web API call. The button's value is the approval id and
nothing else is read from the payload but who clicked: the desk checks that person against
the policy and the live directory at click time, and the first valid decision wins. The
clicker hears back, ephemerally, only when something stands in the way (a refusal, a decision
already made, an expiry); a decision that wins shows in every copy of the message once the
run has woken (the notifier edits them). A modal is opened only for someone who may decide;
its ``private_metadata`` is the approval id, and on submission it shows what came of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners.approval_forms import edited_items, empty_edits, reason_of, reviewed_items
from bot.people import RequesterUnavailable, SlackPeople, UnknownRequester
from bot.render import kit
from bot.render.approval_modals import edit_modal, reject_modal, result_modal, review_modal
from bot.render.approvals import (
    APPROVE_ALL,
    EDIT,
    ESCALATE,
    REJECT,
    REVIEW,
    approvals_list,
    approvals_list_text,
)
from bot.render.mrkdwn import plain
from bot.reporters.approvals import approval_words
from bot.reporters.replies import Message, SlackReplies
from workflows.approvals.desk import ApprovalDesk, DeskAnswer, Verdict
from workflows.approvals.models import Approval, ApprovalItem
from workflows.approvals.policy import ApprovalPolicy
from workflows.approvals.store import ApprovalStore
from workflows.errors import DeliveryError
from workflows.models import Principal
from workflows.ports import People

log = structlog.get_logger(__name__)

Decision = tuple[Verdict, tuple[ApprovalItem, ...] | None, str | None]
"""What a submitted form asks of the desk: a verdict, the items (None: all), a reason."""
FormDecision = Callable[[Approval], Decision]

NOT_HERE = "Approvals are not set up in this workspace, so I cannot take that click."
GONE = "I can't find that approval. It may belong to another workspace or be gone."
NOTHING_TO_EDIT = "Nothing in this request can be edited; approve, review or reject it instead."
NO_FORM = "Slack would not open the form just now; please click the button again."
WORKING = "Sending your decision…"


@dataclass(frozen=True)
class Approvals:
    """What the approval listeners need, built once by the composition root: the desk that
    takes decisions, the store that shows approvals, the policy (checked before a modal
    opens), ``people`` (Slack user to person) and ``directory`` (people named in messages)."""

    desk: ApprovalDesk
    store: ApprovalStore
    policy: ApprovalPolicy
    people: SlackPeople
    directory: People

    @classmethod
    def at(cls, desk: ApprovalDesk, people: SlackPeople) -> Approvals:
        """The approvals that ``desk`` decides, with its store, policy and directory."""
        return cls(
            desk=desk, store=desk.store, policy=desk.policy, people=people, directory=desk.people
        )

    async def who(self, user_id: str) -> Principal | str:
        """The person behind a Slack user, or a polite sentence saying why not."""
        try:
            return await self.people.principal(user_id)
        except UnknownRequester as exc:
            return f"I can't take your decision: {exc.reason}."
        except RequesterUnavailable:
            return "Slack could not tell me who you are just now; please try again in a moment."

    async def listing(self, email: str) -> Message:
        """What waits for ``email`` (with buttons) and what they asked for."""
        waiting = await self.store.waiting_for(email)
        asked = await self.store.requested_by(email)
        words = approval_words(self.directory, self.policy)
        blocks = approvals_list(waiting, asked, words)
        return Message(approvals_list_text(waiting, asked), blocks)

    def refusal(self, approval: Approval | None, email: str) -> str | None:
        """Why ``email`` may not open a decision form on ``approval`` now, if they may not."""
        if approval is None:
            return GONE
        refused = self.policy.may_decide(approval, email, self.directory)
        if refused is not None:
            return refused
        if not approval.open or approval.expires_at <= self.desk.clock.now():
            return self.desk.answer_for(approval)
        return None


# ---------------------------------------------------------------- buttons


async def on_approve_all(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    clicked = await _clicked(body, client, context)
    if clicked is None:
        return
    approvals, clicker, approval_id = clicked
    answer = await approvals.desk.decide(approval_id, clicker.email, "approve")
    if answer.outcome != "decided":
        await tell_clicker(body, client, answer.text)


async def on_escalate(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    clicked = await _clicked(body, client, context)
    if clicked is None:
        return
    approvals, clicker, approval_id = clicked
    answer = await approvals.desk.escalate_now(approval_id, clicker.email)
    await tell_clicker(body, client, answer.text)


async def on_open_form(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Review one by one, Edit, Reject: the form, for someone who may decide."""
    await ack()
    clicked = await _clicked(body, client, context)
    if clicked is None:
        return
    approvals, clicker, approval_id = clicked
    approval = await approvals.store.get(approval_id)
    refused = approvals.refusal(approval, clicker.email)
    if refused is not None or approval is None:
        await tell_clicker(body, client, refused or GONE)
        return
    action = str(body["actions"][0]["action_id"])
    if action == EDIT and not any(item.editable for item in approval.items):
        await tell_clicker(body, client, NOTHING_TO_EDIT)
        return
    form = {REVIEW: review_modal, EDIT: edit_modal, REJECT: reject_modal}[action](approval)
    try:
        await SlackReplies(client).call(client.views_open(trigger_id=body["trigger_id"], view=form))
    except DeliveryError as exc:
        log.warning("slack.views_open_failed", approval_id=approval_id, error=str(exc))
        await tell_clicker(body, client, NO_FORM)


async def _clicked(
    body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> tuple[Approvals, Principal, str] | None:
    """The approvals, the clicker and the approval id of a click; None once the clicker has
    been told why nothing can happen."""
    approvals = context.get("approvals")
    if not isinstance(approvals, Approvals):
        await tell_clicker(body, client, NOT_HERE)
        return None
    clicker = await approvals.who(_user_id(body))
    if isinstance(clicker, str):
        await tell_clicker(body, client, clicker)
        return None
    approval_id = str((body.get("actions") or [{}])[0].get("value") or "")
    return approvals, clicker, approval_id


# ---------------------------------------------------------------- modal submissions


async def on_review_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack(response_action="update", view=result_modal("Review", WORKING))
    await _submit(
        body, client, context, lambda a: ("approve", reviewed_items(a, body["view"]), None)
    )


async def on_edit_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    errors = empty_edits(body["view"])
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack(response_action="update", view=result_modal("Edit", WORKING))
    await _submit(body, client, context, lambda a: ("approve", edited_items(a, body["view"]), None))


async def on_reject_submitted(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack(response_action="update", view=result_modal("Reject", WORKING))
    await _submit(body, client, context, lambda a: ("reject", None, reason_of(body["view"])))


async def _submit(
    body: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    decision: FormDecision,
) -> None:
    """Take the decision a form says (``decision(approval) -> (verdict, items, reason)``) and
    show in the form what came of it."""
    view = body["view"]
    text = await _decide_from_form(body, context, decision)
    shown = result_modal(str((view.get("title") or {}).get("text") or "Approval"), text)
    try:
        await SlackReplies(client).call(client.views_update(view_id=view["id"], view=shown))
    except DeliveryError as exc:
        log.warning("slack.views_update_failed", error=str(exc))
        await tell_clicker(body, client, text)


async def _decide_from_form(
    body: dict[str, Any], context: AsyncBoltContext, decision: FormDecision
) -> str:
    approvals = context.get("approvals")
    if not isinstance(approvals, Approvals):
        return NOT_HERE
    clicker = await approvals.who(_user_id(body))
    if isinstance(clicker, str):
        return clicker
    approval = await approvals.store.get(str(body["view"].get("private_metadata") or ""))
    if approval is None:
        return GONE
    verdict, items, reason = decision(approval)
    answer: DeskAnswer = await approvals.desk.decide(
        approval.id, clicker.email, verdict, items=items, reason=reason
    )
    return answer.text


# ---------------------------------------------------------------- telling the clicker


async def tell_clicker(body: dict[str, Any], client: AsyncWebClient, text: str) -> None:
    """``text`` to the person who clicked, and to nobody else: through the click's
    ``response_url`` (ephemeral, the message left as it is), else ``chat.postEphemeral`` where
    they clicked, else their DM with the app (a Home tab or modal has no channel)."""
    user, channel = _user_id(body), _channel_id(body)
    message = Message(kit.fallback(text), [kit.section(plain(text))])
    replies = SlackReplies(client)
    response_url = body.get("response_url") or next(
        (r.get("response_url") for r in body.get("response_urls") or []), None
    )
    try:
        if response_url:
            await replies.respond(str(response_url), message)
        elif channel:
            await replies.call(
                client.chat_postEphemeral(channel=channel, user=user, text=message.text)
            )
        else:
            await replies.call(client.chat_postMessage(channel=user, text=message.text))
    except DeliveryError as exc:
        log.warning("slack.clicker_not_told", user=user, error=str(exc))


def is_interaction(body: dict[str, Any]) -> bool:
    """Whether ``body`` is a click or a form submission (for the top-level error handler)."""
    return body.get("type") in ("block_actions", "view_submission")


def _user_id(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _channel_id(body: dict[str, Any]) -> str | None:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return str(channel) if channel else None


def register(app: AsyncApp) -> None:
    app.action(APPROVE_ALL)(on_approve_all)
    app.action(ESCALATE)(on_escalate)
    for form in (REVIEW, EDIT, REJECT):
        app.action(form)(on_open_form)
    app.view(REVIEW)(on_review_submitted)
    app.view(EDIT)(on_edit_submitted)
    app.view(REJECT)(on_reject_submitted)
