"""The identity graph on real SQLite and PostgreSQL: built once, reused on restart, refreshed
around what changed in a demo system, and bent by people's overrides for good."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.demo import DemoWorld, open_demo_world, schema
from connectors.graph import IdentityGraph
from connectors.graph import tables as t
from connectors.graph.store import GraphTables
from connectors.identity import IdentityDirectory, open_directory
from connectors.resolution import Link, ResolutionError, Review
from tests.connectors.graph_env import DATABASES, graph_engine
from workflows.audit.store import create_engine_for
from workflows.clock import ManualClock

NOW = datetime(2025, 6, 10, 9, 7, tzinfo=UTC)
ACME = ("crm", "acct-0001")
ACME_SUPPORT = ("support", "org-1042")
RACHEL = "rachel.kim@northwind.example"
# A ticket from someone at Acme that no system knew: the support desk's first record of them.
PAT_LEE_TICKET = schema.support_tickets.insert().values(
    id="org-new-t1",
    org_id=ACME_SUPPORT[1],
    subject="Where is my invoice?",
    priority="P3",
    status="open",
    opened_at=NOW,
    requester_email="pat.lee@acme.io",
)
SYSTEMS = {"crm", "email", "support", "contracts", "usage", "billing"}


@pytest.fixture(params=DATABASES)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with graph_engine(request.param, tmp_path) as made:
        yield made


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[DemoWorld]:
    world = await open_demo_world(tmp_path / "demo.db", clock=ManualClock(NOW))
    yield world
    await world.close()


async def opened(engine: AsyncEngine, world: DemoWorld) -> IdentityGraph:
    return await IdentityGraph.open(engine, world, clock=ManualClock(NOW))


def systems_of(graph: IdentityGraph, key: tuple[str, str]) -> set[str]:
    entity = graph.entity_of(key)
    assert entity is not None
    return {system for system, _ in entity.records}


async def test_every_customer_is_linked_everywhere_and_none_merged(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    directory = await open_directory(engine, world, clock=ManualClock(NOW))
    graph = directory.graph
    assert graph is not None and graph.last.how == "built"
    accounts = directory.accounts()
    assert systems_of(graph, ACME) == SYSTEMS
    assert set(accounts[0].links) == SYSTEMS
    # no entity holds two CRM accounts, nor two records of one system
    for entity in graph.entities.values():
        systems = [system for system, _ in entity.records]
        assert len(systems) == len(set(systems)), entity.records
    customers = [a for a in accounts if {"support", "billing", "contracts"} <= set(a.links)]
    assert len(customers) >= 40
    assert all({"email", "usage"} <= set(a.links) for a in customers if a.account_id != "acct-0031")


async def test_the_graph_is_built_once_and_reused_on_restart(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    first = await opened(engine, world)
    assert first.last.how == "built"
    async with engine.connect() as conn:
        stamps = dict(
            (await conn.execute(select(t.records.c.record_id, t.records.c.updated_at))).all()
        )
    again = await opened(engine, world)
    assert again.last.how == "unchanged" and again.last.resolved == 0
    assert {k: e.records for k, e in again.entities.items()} == {
        k: e.records for k, e in first.entities.items()
    }
    async with engine.connect() as conn:
        later = dict(
            (await conn.execute(select(t.records.c.record_id, t.records.c.updated_at))).all()
        )
    assert later == stamps  # nothing was written again


async def test_a_change_in_a_demo_system_is_refreshed_around_it(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    graph = await opened(engine, world)
    directory = IdentityDirectory.from_graph(graph)
    harbor = directory.resolve_account("Blue Harbor").account
    assert harbor is not None
    assert directory.find_in("my call with pat.lee@acme.io")[0].how == "domain"
    async with world.write() as write:
        await write.conn.execute(
            update(schema.support_orgs)
            .where(schema.support_orgs.c.id == harbor.links["support"])
            .values(name="Blue Harbour Logistics Inc.")
        )
        await write.conn.execute(PAT_LEE_TICKET)
    await directory.refresh()
    change = graph.last
    assert change.how == "refreshed" and change.changed == 2
    assert change.resolved < len(graph.records) / 20  # only around the two records
    assert systems_of(graph, ("crm", harbor.account_id)) >= {"crm", "support"}
    assert graph.entity_of(("support", "pat.lee@acme.io")) is not None
    found = directory.find_in("prep me for my call with pat.lee@acme.io")
    assert [(m.account.account_id, m.how) for m in found] == [("acct-0001", "email")]
    restarted = await opened(engine, world)
    assert restarted.last.how == "unchanged"
    assert ("support", "pat.lee@acme.io") in restarted.records


async def test_a_refresh_whose_write_fails_is_taken_again_from_the_tables(
    engine: AsyncEngine, world: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write fails after the first of its rows was made (and kept in memory): the
    tables roll back, the graph is taken again as they hold it, and the next refresh brings
    both changes, as a restart would see them."""
    graph = await opened(engine, world)
    async with world.write() as write:
        await write.conn.execute(
            update(schema.support_orgs)
            .where(schema.support_orgs.c.id == ACME_SUPPORT[1])
            .values(name="ACME Corporation (EMEA)")
        )
        await write.conn.execute(PAT_LEE_TICKET)
    written = graph._tables.write

    async def failing(*, records: Any, **rest: Any) -> None:
        def rows() -> Any:
            for i, row in enumerate(records):
                if i == 1:
                    raise RuntimeError("the database went away")
                yield row

        await written(records=rows(), **rest)

    monkeypatch.setattr(graph._tables, "write", failing)
    with pytest.raises(RuntimeError, match="went away"):
        await graph.refresh()
    monkeypatch.undo()
    change = await graph.refresh()
    assert change.how == "refreshed" and change.changed == 2
    restarted = await opened(engine, world)
    assert restarted.last.how == "unchanged"
    assert graph.records_by_key() == restarted.records_by_key()
    assert ("support", "pat.lee@acme.io") in graph.records
    acme = graph.entity_of(ACME)
    assert acme is not None and ACME_SUPPORT in acme.records


async def test_a_refreshed_directory_is_kept_out_of_the_collectors_reach(
    tmp_path: Path, world: DemoWorld
) -> None:
    """Each full pass of the cyclic collector walks every object it tracks and holds every
    thread meanwhile: at a million contacts, passes over a directory made again stalled a
    served event loop for over a second. What a refresh makes to keep is frozen out of them."""
    engine = create_engine_for(f"sqlite+aiosqlite:///{tmp_path / 'graph.db'}")
    directory = IdentityDirectory.from_graph(await opened(engine, world))
    async with world.write() as write:
        await write.conn.execute(PAT_LEE_TICKET)
    await directory.refresh()
    account = directory.accounts()[0]
    assert directory.find_in("my call with pat.lee@acme.io")[0].account == account
    assert not any(tracked is account for tracked in gc.get_objects())
    await engine.dispose()


async def test_an_entity_made_again_just_as_it_was_keeps_its_row(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    """Alex Morgan's first name in full in the CRM: a feature the resolver reads, so the
    entity is resolved again, but no other system knows the name, so it comes out as it was
    and its row is not written again."""
    clock = ManualClock(NOW)
    graph = await IdentityGraph.open(engine, world, clock=clock)
    alex = next(
        k
        for k, r in graph.records.items()
        if k[0] == "crm" and r.source.record.email == "alex.morgan@acme.io"
    )
    entity = graph.entity_of(alex)
    assert entity is not None and len(entity.records) > 1
    clock.advance(timedelta(hours=1))
    async with world.write() as write:
        await write.conn.execute(
            update(schema.crm_contacts)
            .where(schema.crm_contacts.c.id == alex[1])
            .values(name="Alexander Morgan")
        )
    change = await graph.refresh()
    assert change.how == "refreshed" and change.changed == 1 and change.resolved > 1
    assert graph.entity_of(alex) == entity
    async with engine.connect() as conn:
        entity_stamp = (
            await conn.execute(
                select(t.entities.c.updated_at).where(t.entities.c.entity_id == entity.entity_id)
            )
        ).scalar_one()
        record_stamp = (
            await conn.execute(
                select(t.records.c.updated_at).where(t.records.c.record_id == alex[1])
            )
        ).scalar_one()
    assert (entity_stamp.replace(tzinfo=UTC), record_stamp.replace(tzinfo=UTC)) == (
        NOW,
        NOW + timedelta(hours=1),
    )
    restarted = await opened(engine, world)
    assert restarted.entity_of(alex) == entity


def review(left: tuple[str, str], right: tuple[str, str]) -> Review:
    link = Link(
        left=left,
        right=right,
        probability=0.6,
        bayes_factor=0.5,
        band="maybe",
        source="model",
        evidence=(),
    )
    return Review(link=link, reason="maybe")


async def plant(engine: AsyncEngine, reviews: list[Review]) -> None:
    """``reviews`` left for a person, as a resolution writes them."""
    tables = GraphTables(engine)
    await tables.write(
        records=(), removed=(), dropped_entities=(), entities=(), reviews=reviews, state={}, at=NOW
    )


async def rename_acme_support(world: DemoWorld, name: str) -> None:
    async with world.write() as write:
        await write.conn.execute(
            update(schema.support_orgs)
            .where(schema.support_orgs.c.id == ACME_SUPPORT[1])
            .values(name=name)
        )


async def test_a_refresh_replaces_the_reviews_of_what_it_re_resolved_on_either_side(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    graph = await opened(engine, world)
    other = ("crm", "acct-0002")
    await plant(engine, [review(ACME_SUPPORT, other), review(other, ACME_SUPPORT)])
    await plant(engine, [review(other, ACME), review(other, ("crm", "acct-0003"))])
    await rename_acme_support(world, "Acme Holdings")
    assert (await graph.refresh()).changed == 1
    async with engine.connect() as conn:
        kept = (await conn.execute(select(t.reviews.c.left_id, t.reviews.c.right_id))).all()
    # ACME's CRM record was re-resolved with its support twin, so its review went too; the
    # review of two other accounts stays
    assert [tuple(k) for k in kept] == [("acct-0002", "acct-0003")]


async def test_a_change_the_resolver_does_not_read_is_kept_without_re_resolving(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    """A name in another case or with a legal form added leaves every feature as it was: the
    new version is kept with its entity, whose row and reviews stay as they are."""
    clock = ManualClock(NOW)
    graph = await IdentityGraph.open(engine, world, clock=clock)
    harbor = graph.entity_of(ACME_SUPPORT)
    assert harbor is not None
    other = ("crm", "acct-0002")
    await plant(engine, [review(ACME_SUPPORT, other)])
    before = graph.records[ACME_SUPPORT].source.record.name or ""
    clock.advance(timedelta(hours=1))
    await rename_acme_support(world, before.upper() + " INC.")
    change = await graph.refresh()
    assert (change.how, change.changed, change.resolved) == ("refreshed", 1, 0)
    assert graph.records[ACME_SUPPORT].source.record.name == before.upper() + " INC."
    assert graph.entity_of(ACME_SUPPORT) == harbor
    async with engine.connect() as conn:
        stamps = (
            await conn.execute(
                select(t.records.c.updated_at, t.records.c.data).where(
                    t.records.c.record_id == ACME_SUPPORT[1]
                )
            )
        ).one()
        kept = (await conn.execute(select(t.reviews.c.left_id, t.reviews.c.right_id))).all()
    assert stamps[0].replace(tzinfo=UTC) == NOW + timedelta(hours=1)
    assert stamps[1]["record"]["name"] == before.upper() + " INC."
    assert [tuple(k) for k in kept] == [("org-1042", "acct-0002")]
    restarted = await opened(engine, world)
    assert restarted.last.how == "unchanged"
    assert restarted.records[ACME_SUPPORT].source.record.name == before.upper() + " INC."
    assert restarted.entity_of(ACME_SUPPORT) == harbor


async def test_an_unaltered_record_resolved_again_beside_an_altered_one_keeps_its_new_version(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    graph = await opened(engine, world)
    before = graph.records[ACME_SUPPORT].source.record.name or ""
    await rename_acme_support(world, before.upper())
    async with world.write() as write:  # Acme's entity, the support record's, is made again
        await write.conn.execute(
            update(schema.crm_accounts)
            .where(schema.crm_accounts.c.id == ACME[1])
            .values(name="Acme Corporation Worldwide")
        )
    change = await graph.refresh()
    assert change.changed > 2 and change.resolved > 1  # its contacts know its name too
    assert graph.records[ACME_SUPPORT].source.record.name == before.upper()
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(t.records.c.data).where(t.records.c.record_id == ACME_SUPPORT[1])
            )
        ).all()
    assert [row[0]["record"]["name"] for row in rows] == [before.upper()]
    restarted = await opened(engine, world)
    assert restarted.records[ACME_SUPPORT].source.record.name == before.upper()
    assert restarted.entity_of(ACME_SUPPORT) == graph.entity_of(ACME_SUPPORT)


async def test_not_the_same_splits_an_entity_and_survives_a_refresh(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    graph = await opened(engine, world)
    await graph.override(ACME, ACME_SUPPORT, "not_same", by=RACHEL)
    assert "support" not in systems_of(graph, ACME)
    assert systems_of(graph, ACME_SUPPORT) == {"support"}
    async with world.write() as write:  # the support desk now spells it as the CRM does
        await write.conn.execute(
            update(schema.support_orgs)
            .where(schema.support_orgs.c.id == ACME_SUPPORT[1])
            .values(name="Acme Corporation")
        )
    assert (await graph.refresh()).changed == 1
    assert "support" not in systems_of(graph, ACME)
    restarted = await opened(engine, world)
    assert "support" not in systems_of(restarted, ACME)
    assert set(IdentityDirectory.from_graph(restarted).accounts()[0].links) == SYSTEMS - {"support"}
    await restarted.build()  # even a rebuild from scratch keeps the verdict
    assert "support" not in systems_of(restarted, ACME)


async def test_a_graph_in_an_older_format_is_built_again_keeping_the_verdicts(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    graph = await opened(engine, world)
    await graph.override(ACME, ACME_SUPPORT, "not_same", by=RACHEL)
    entity = graph.entity_of(ACME)
    assert entity is not None and entity.links
    async with engine.begin() as conn:  # as an older Crosswire left it
        await conn.execute(t.state.delete().where(t.state.c.key == "format"))
        await conn.execute(t.entities.update().values(links='{"records": [], "links": []}'))
    again = await opened(engine, world)
    assert again.last.how == "built"
    assert again.entity_of(ACME) == entity
    assert "support" not in systems_of(again, ACME)
    async with engine.connect() as conn:
        stored = dict((await conn.execute(select(t.state.c.key, t.state.c.value))).all())
    assert stored["format"] == t.FORMAT
    assert (await opened(engine, world)).last.how == "unchanged"


async def test_a_contradicting_verdict_is_refused_and_not_kept(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    graph = await opened(engine, world)
    billing = ("billing", "cus_7f3a9c21e4")
    await graph.override(ACME, ACME_SUPPORT, "not_same", by=RACHEL)
    await graph.override(ACME, billing, "same", by=RACHEL)
    with pytest.raises(ResolutionError):
        await graph.override(billing, ACME_SUPPORT, "same", by=RACHEL)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(t.overrides.c.verdict))).scalars().all()
    assert rows == ["not_same", "same"]
    assert "support" not in systems_of(graph, ACME)
    harbor = ("crm", "acct-0002")
    await graph.override(harbor, ACME_SUPPORT, "same", by=RACHEL)  # one system's two records
    assert ACME_SUPPORT in graph.entities[graph.records[harbor].entity_id].records


async def test_two_replicas_starting_at_once_end_with_one_graph(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    first, second = await asyncio.gather(opened(engine, world), opened(engine, world))
    assert {first.last.how, second.last.how} <= {"built", "loaded", "unchanged"}
    assert first.records.keys() == second.records.keys()
    assert systems_of(first, ACME) == systems_of(second, ACME) == SYSTEMS
    again = await opened(engine, world)
    assert again.last.how == "unchanged"
    assert len(again.entities) == len(first.entities)


async def test_a_verdict_from_another_process_reaches_a_running_directory(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    serving = await open_directory(engine, world, clock=ManualClock(NOW))
    assert "support" in serving.accounts()[0].links
    command = await opened(engine, world)  # crosswire identity different, elsewhere
    await command.override(ACME, ACME_SUPPORT, "not_same", by=RACHEL)
    assert "support" in serving.accounts()[0].links  # until it refreshes
    await serving.refresh()
    assert serving.graph is not None and serving.graph.last.how == "reloaded"
    assert "support" not in serving.accounts()[0].links
    await serving.refresh()
    assert serving.graph.last.how == "unchanged"


async def test_a_refresh_makes_the_directory_again_aside_and_one_change_waits_for_another(
    engine: AsyncEngine, world: DemoWorld
) -> None:
    """The lookups are made again away from the event loop: until they are swapped in, the
    directory answers as before the change; a verdict given meanwhile waits its turn."""
    started, release = asyncio.Event(), asyncio.Event()

    async def held(make: Callable[..., Any], *args: Any) -> Any:
        started.set()
        await release.wait()
        return await asyncio.to_thread(make, *args)

    graph = await opened(engine, world)
    directory = IdentityDirectory.from_graph(graph, offload=held)
    async with world.write() as write:
        await write.conn.execute(PAT_LEE_TICKET)
    text = "prep me for my call with pat.lee@acme.io"
    refreshing = asyncio.create_task(directory.refresh())
    async with asyncio.timeout(30):  # the reload went through ``held``
        await started.wait()
    assert graph.entity_of(("support", "pat.lee@acme.io")) is not None  # the graph has it
    assert directory.find_in(text)[0].how == "domain"  # the directory, not yet
    verdict = asyncio.create_task(directory.override(ACME, ACME_SUPPORT, "not_same", by=RACHEL))
    for _ in range(5):
        await asyncio.sleep(0)
    assert graph.overrides == []  # the verdict waits for the refresh to be served
    release.set()
    await refreshing
    assert [(m.account.account_id, m.how) for m in directory.find_in(text)] == [
        ("acct-0001", "email")
    ]
    await verdict
    assert "support" not in directory.accounts()[0].links
