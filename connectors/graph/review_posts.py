"""The "maybe" pairs put to a person, once each (:data:`connectors.graph.tables.review_posts`).

A pair is claimed before its message is posted (an insert: one claim per pair, whoever
comes first), the message's place recorded after; a claim left without a message (a crash in
between) may be taken over after :data:`CLAIM_LEASE`, by whoever then looks for the earlier
post before posting again. A verdict is a compare-and-set too: the first one given on a
review wins, a later one is told who gave it and when.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.graph import tables as t
from connectors.resolution import RecordKey, Review, Verdict
from workflows.clock import Clock

CLAIM_LEASE: Final = timedelta(minutes=5)


class ReviewPost(BaseModel):
    """One pair put to a person: its id (what a button carries), where its message is, and
    the verdict given on it, if any."""

    model_config = ConfigDict(frozen=True)

    id: int
    left: RecordKey
    right: RecordKey
    claimed_at: datetime
    messages: tuple[tuple[str, str], ...] | None = None
    verdict: Verdict | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


class ReviewPosts:
    """The review posts on the graph's engine."""

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self.engine, self._clock = engine, clock

    async def claim(self, review: Review) -> ReviewPost | None:
        """The post to make for ``review``, now ours; None when it is made or another
        process is making it. A post returned with ``claimed_at`` before now was claimed
        earlier and never recorded: its message may exist already."""
        left, right = sorted((review.link.left, review.link.right))
        now = self._clock.now()
        row = {
            "left_system": left[0],
            "left_id": left[1],
            "right_system": right[0],
            "right_id": right[1],
            "claimed_at": now,
        }
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(t.review_posts), [row])
        except IntegrityError:
            return await self._take_over(left, right, now)
        return await self._pair(left, right)

    async def _take_over(
        self, left: RecordKey, right: RecordKey, now: datetime
    ) -> ReviewPost | None:
        found = await self._pair(left, right)
        if found is None or found.messages is not None or found.claimed_at > now - CLAIM_LEASE:
            return None
        c = t.review_posts.c
        query = (
            update(t.review_posts)
            .where(c.id == found.id, c.messages.is_(None), c.claimed_at == found.claimed_at)
            .values(claimed_at=now)
        )
        async with self.engine.begin() as conn:
            taken = (await conn.execute(query)).rowcount == 1
        return found if taken else None

    async def posted(self, review_id: int, messages: list[tuple[str, str]]) -> None:
        """Where the review's messages are: (channel, ts), one per admin."""
        c = t.review_posts.c
        rows = [list(m) for m in messages]
        query = update(t.review_posts).where(c.id == review_id).values(messages=rows)
        async with self.engine.begin() as conn:
            await conn.execute(query)

    async def decide(self, review_id: int, verdict: Verdict, by: str) -> tuple[bool, ReviewPost]:
        """Give ``verdict`` on the review unless one was given: (whether this one won, the
        review as it now stands). Raises :class:`KeyError` for an unknown review."""
        c = t.review_posts.c
        query = (
            update(t.review_posts)
            .where(c.id == review_id, c.verdict.is_(None))
            .values(verdict=verdict, decided_by=by, decided_at=self._clock.now())
        )
        async with self.engine.begin() as conn:
            won = (await conn.execute(query)).rowcount == 1
        post = await self.get(review_id)
        if post is None:
            raise KeyError(review_id)
        return won, post

    async def undo(self, review_id: int, by: str) -> None:
        """Take back ``by``'s verdict (it could not be kept): the review is open again."""
        c = t.review_posts.c
        query = (
            update(t.review_posts)
            .where(c.id == review_id, c.decided_by == by)
            .values(verdict=None, decided_by=None, decided_at=None)
        )
        async with self.engine.begin() as conn:
            await conn.execute(query)

    async def get(self, review_id: int) -> ReviewPost | None:
        return await self._one(t.review_posts.c.id == review_id)

    async def _pair(self, left: RecordKey, right: RecordKey) -> ReviewPost | None:
        c = t.review_posts.c
        return await self._one(
            (c.left_system == left[0])
            & (c.left_id == left[1])
            & (c.right_system == right[0])
            & (c.right_id == right[1])
        )

    async def _one(self, where: ColumnElement[bool]) -> ReviewPost | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.review_posts).where(where))).mappings().first()
        if row is None:
            return None
        return ReviewPost(
            id=row["id"],
            left=(row["left_system"], row["left_id"]),
            right=(row["right_system"], row["right_id"]),
            claimed_at=_aware(row["claimed_at"]),
            messages=None if row["messages"] is None else tuple(tuple(m) for m in row["messages"]),
            verdict=row["verdict"],
            decided_by=row["decided_by"],
            decided_at=_aware(row["decided_at"]) if row["decided_at"] else None,
        )


def _aware(at: datetime) -> datetime:
    """SQLite gives datetimes back without their zone; they were written in UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
