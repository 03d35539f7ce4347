"""The Same / Different buttons of an identity review (``block_actions``).

The listener acks first. The button's value is the review id and nothing else is read from the
payload but who clicked. The clicker must be an identity admin (``CROSSWIRE_IDENTITY_ADMINS``),
else they are told so, ephemerally, and the refusal is audited. The first decision wins (a
compare-and-set on the review): a later click hears who decided and when. The winning verdict
is recorded as ``crosswire identity same|different`` records it
(:func:`bot.identity_verdicts.record_verdict`), and every copy of the message then shows who
decided and when, without buttons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.identity_verdicts import audit_identity, record_verdict
from bot.listeners.actions import tell_clicker
from bot.people import RequesterUnavailable, SlackPeople, UnknownRequester
from bot.render.identity_review import DIFFERENT, SAID, SAME
from bot.reporters.identity_reviews import IdentityReviews
from connectors.resolution import ResolutionError, Verdict
from workflows.audit import AuditStore

log = structlog.get_logger(__name__)

GONE = "I can't find that identity review. It may be gone."
NOT_ADMIN = "Only an identity admin can decide whether two records are the same; you are not one."


@dataclass(frozen=True)
class ReviewClicks:
    """What the buttons need: the reviews, the audit, and who is behind a Slack user."""

    reviews: IdentityReviews
    audit: AuditStore
    people: SlackPeople

    async def decide(self, user_id: str, value: str, verdict: Verdict) -> str | None:
        """Take ``user_id``'s ``verdict`` on review ``value``; what to tell them, if anything."""
        detail: dict[str, Any] = {"review": value, "verdict": verdict, "via": "slack"}
        try:
            email = (await self.people.principal(user_id)).email
        except UnknownRequester as exc:
            await audit_identity(self.audit, detail | {"outcome": "refused", "reason": exc.reason})
            return f"I can't take your decision: {exc.reason}."
        except RequesterUnavailable:
            return "Slack could not tell me who you are just now; please try again in a moment."
        detail["by"] = email
        if email.lower() not in self.reviews.admins:
            await audit_identity(self.audit, detail | {"outcome": "refused", "reason": "not_admin"})
            return NOT_ADMIN
        post = await self.reviews.posts.get(int(value)) if value.isdigit() else None
        if post is None:
            await audit_identity(self.audit, detail | {"outcome": "refused", "reason": "unknown"})
            return GONE
        review = self.reviews.review_of(post)
        won, post = await self.reviews.posts.decide(post.id, verdict, email)
        if not won:
            assert post.decided_by is not None and post.decided_at is not None and post.verdict
            who = self.reviews.directory.find_employee(post.decided_by)
            name = who.name if who is not None else post.decided_by
            return (
                f"Already decided by {name} at {post.decided_at:%H:%M} UTC: {SAID[post.verdict]}."
            )
        try:
            await record_verdict(
                self.audit,
                self.reviews.directory,
                post.left,
                post.right,
                verdict,
                email,
                {"review": post.id, "via": "slack"},
            )
        except (ResolutionError, ValueError) as exc:
            await self.reviews.posts.undo(post.id, email)
            return f"Not recorded: {exc}."
        await self.reviews.show(post, review)
        return None


def register(app: AsyncApp, clicks: ReviewClicks) -> None:
    """The two buttons, answered with ``clicks``."""

    async def on_same(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await _on(ack, body, client, "same")

    async def on_different(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await _on(ack, body, client, "not_same")

    async def _on(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, v: Verdict) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        user = str((body.get("user") or {}).get("id", ""))
        said = await clicks.decide(user, str(action.get("value", "")), v)
        if said is not None:
            await tell_clicker(body, client, said)

    app.action(SAME)(on_same)
    app.action(DIFFERENT)(on_different)
