"""The review posts on real SQLite and PostgreSQL: a pair is claimed once however many
processes try at once, a claim left without messages is taken over only once its lease is
out, and the first verdict wins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.graph.review_posts import CLAIM_LEASE, ReviewPosts
from connectors.graph.store import GraphTables
from connectors.resolution import Link, Review
from tests.connectors.graph_env import DATABASES, graph_engine
from workflows.clock import ManualClock

NOW = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
RACHEL = "rachel.kim@northwind.example"
VICTOR = "victor.alvarez@northwind.example"
LINK = Link(
    left=("support", "org-9"),
    right=("crm", "acct-9"),
    probability=0.7,
    bayes_factor=1.2,
    band="maybe",
    source="model",
    evidence=(),
)
REVIEW = Review(link=LINK, reason="maybe")


@pytest.fixture(params=DATABASES)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with graph_engine(request.param, tmp_path) as made:
        await GraphTables(made).create()
        yield made


async def test_a_pair_is_claimed_once_however_many_try_at_once(engine: AsyncEngine) -> None:
    clock = ManualClock(NOW)
    claims = await asyncio.gather(*(ReviewPosts(engine, clock).claim(REVIEW) for _ in range(5)))
    won = [c for c in claims if c is not None]
    assert len(won) == 1
    assert won[0].left == ("crm", "acct-9")  # the pair in one order, whichever way it came
    assert await ReviewPosts(engine, clock).claim(REVIEW) is None


async def test_a_claim_left_without_messages_is_taken_over_after_its_lease(
    engine: AsyncEngine,
) -> None:
    clock = ManualClock(NOW)
    posts = ReviewPosts(engine, clock)
    first = await posts.claim(REVIEW)
    assert first is not None
    clock.advance(CLAIM_LEASE / 2)
    assert await posts.claim(REVIEW) is None  # still being posted, perhaps
    clock.advance(CLAIM_LEASE)
    taken = await asyncio.gather(*(ReviewPosts(engine, clock).claim(REVIEW) for _ in range(3)))
    [again] = [c for c in taken if c is not None]
    assert again.id == first.id and again.claimed_at == NOW  # the caller looks since then
    await posts.posted(first.id, [("D0RACHEL", "1.000100")])
    clock.advance(CLAIM_LEASE * 3)
    assert await posts.claim(REVIEW) is None  # posted: never again
    stored = await posts.get(first.id)
    assert stored is not None and stored.messages == (("D0RACHEL", "1.000100"),)


async def test_the_first_verdict_wins(engine: AsyncEngine) -> None:
    clock = ManualClock(NOW)
    post = await ReviewPosts(engine, clock).claim(REVIEW)
    assert post is not None
    both = await asyncio.gather(
        ReviewPosts(engine, clock).decide(post.id, "same", RACHEL),
        ReviewPosts(engine, clock).decide(post.id, "not_same", VICTOR),
    )
    assert sorted(won for won, _ in both) == [False, True]
    [(_, winner)] = [b for b in both if b[0]]
    assert {p.decided_by for _, p in both} == {winner.decided_by}
    assert winner.decided_at == NOW
    posts = ReviewPosts(engine, clock)
    await posts.undo(post.id, "someone.else@northwind.example")  # not theirs to take back
    assert (await posts.get(post.id)) == winner
    assert winner.decided_by is not None
    await posts.undo(post.id, winner.decided_by)
    reopened = await posts.get(post.id)
    assert reopened is not None and reopened.verdict is None
    with pytest.raises(KeyError):
        await posts.decide(999, "same", RACHEL)
