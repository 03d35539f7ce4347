"""The identity graph's "maybe" pairs put to its admins in Slack: one message per pair in each
admin's DM, with Same / Different buttons, and that message brought to its final state once
someone decided.

Posting is safe to repeat (after a build, every refresh, a restart, another replica): a pair
is claimed in the database before it is posted (:class:`~connectors.graph.review_posts.ReviewPosts`)
and its messages recorded after, so a pair already put to the admins is never put again. A
claim left without messages (a crash in between) is taken over once its lease is out, and the
earlier messages looked for by their metadata (the review id) before posting again.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Final

import structlog
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.render import kit
from bot.render.blocks import Rendering
from bot.render.identity_review import Decided, review_rendering
from bot.reporters.approvals import UNKNOWN_USER, same_metadata
from bot.reporters.posted import find_posted
from bot.reporters.replies import SlackReplies
from connectors.graph.review_posts import ReviewPost, ReviewPosts
from connectors.identity import IdentityDirectory
from connectors.resolution import Link, Review
from workflows.clock import Clock
from workflows.errors import DeliveryError, PermanentDeliveryError

log = structlog.get_logger(__name__)

REVIEW_EVENT: Final = "crosswire_identity_review"


def review_metadata(review_id: int) -> dict[str, Any]:
    """Marks a review message: the review id, and nothing else."""
    return {"event_type": REVIEW_EVENT, "event_payload": {"review_id": review_id}}


@dataclass(frozen=True)
class IdentityReviews:
    """The reviews of ``directory``'s graph, put to ``admins`` (emails) through ``client``."""

    client: AsyncWebClient
    directory: IdentityDirectory
    posts: ReviewPosts
    admins: tuple[str, ...]
    clock: Clock

    async def post_pending(self) -> int:
        """Put every "maybe" pair of the graph not yet put to the admins to them; the number
        of pairs posted. (A merge the chaining guard refused is left to ``crosswire identity``:
        it follows from a verdict already given.)"""
        graph = self.directory.graph
        if graph is None or not self.admins:
            return 0
        posted = 0
        for review in [r for r in graph.reviews if r.reason == "maybe"]:
            post = await self.posts.claim(review)
            if post is None:
                continue
            try:
                messages = await self._post(post, review)
            except DeliveryError as exc:
                log.warning("identity.review_not_posted", review_id=post.id, error=str(exc))
                continue
            if messages:
                await self.posts.posted(post.id, messages)
                posted += 1
        return posted

    def rendering(self, post: ReviewPost, review: Review | None = None) -> Rendering | None:
        """The review's message as it now stands; None if its records are gone."""
        graph = self.directory.graph
        if graph is None or post.left not in graph.records or post.right not in graph.records:
            return None
        link = review.link if review is not None else self._link(post)
        if link is None:
            return None
        decided = None
        if post.verdict is not None and post.decided_by and post.decided_at:
            decided = Decided(post.verdict, self._name(post.decided_by), post.decided_at)
        left, right = (graph.records[k].source.record for k in (post.left, post.right))
        return review_rendering(post.id, left, right, link, decided)

    async def show(self, post: ReviewPost, link_from: Review | None = None) -> None:
        """Every message of ``post`` shows it as it now stands (a Slack lost is logged)."""
        shown = self.rendering(post, link_from)
        if shown is None:
            return
        for channel, ts in post.messages or ():
            try:
                await self._call(
                    self.client.chat_update(
                        channel=channel,
                        ts=ts,
                        text=kit.fallback(shown.text),
                        blocks=kit.fit(shown.blocks),
                    )
                )
            except DeliveryError as exc:
                log.warning("identity.review_not_updated", review_id=post.id, error=str(exc))

    def review_of(self, post: ReviewPost) -> Review | None:
        graph = self.directory.graph
        pair = {post.left, post.right}
        found = (r for r in (graph.reviews if graph else ()) if {r.link.left, r.link.right} == pair)
        return next(found, None)

    def _link(self, post: ReviewPost) -> Link | None:
        review = self.review_of(post)
        if review is not None:
            return review.link
        graph = self.directory.graph
        entity = graph.entity_of(post.left) if graph else None
        pair = {post.left, post.right}
        links = entity.links if entity else ()
        return next((link for link in links if {link.left, link.right} == pair), None)

    def _name(self, email: str) -> str:
        employee = self.directory.find_employee(email)
        return employee.name if employee is not None else email

    async def _post(self, post: ReviewPost, review: Review) -> list[tuple[str, str]]:
        shown = self.rendering(post, review)
        if shown is None:
            return []
        metadata = review_metadata(post.id)
        again = post.claimed_at < self.clock.now()  # taken over: it may be there already
        out: list[tuple[str, str]] = []
        for email in self.admins:
            dm = await self._dm_of(email)
            if dm is None:
                continue
            found = None
            if again:
                found = await find_posted(
                    self.client,
                    dm,
                    thread_ts=None,
                    metadata=metadata,
                    since=post.claimed_at,
                    matches=same_metadata,
                )
            if found is None:
                response = await self._call(
                    self.client.chat_postMessage(
                        channel=dm,
                        text=kit.fallback(shown.text),
                        blocks=kit.fit(shown.blocks),
                        metadata=metadata,
                        unfurl_links=False,
                    )
                )
                found = str(response["ts"])
            out.append((dm, found))
        return out

    async def _dm_of(self, email: str) -> str | None:
        try:
            user = await self._call(self.client.users_lookupByEmail(email=email))
        except PermanentDeliveryError as exc:
            if exc.code not in UNKNOWN_USER:
                raise
            log.warning("identity.admin_not_in_slack", email=email)
            return None
        opened = await self._call(self.client.conversations_open(users=str(user["user"]["id"])))
        return str(opened["channel"]["id"])

    async def _call(self, call: Awaitable[AsyncSlackResponse]) -> AsyncSlackResponse:
        return await SlackReplies(self.client).call(call)


def admins_of(text: str) -> tuple[str, ...]:
    """``CROSSWIRE_IDENTITY_ADMINS``: emails separated by commas or spaces, lower-cased."""
    return tuple(dict.fromkeys(e.strip().lower() for e in text.replace(",", " ").split()))
