"""The identity graph's tables, in the database the composition root hands the graph (the
audit database: SQLite by default, PostgreSQL in production).

``identity_records`` holds every record a source gave, with the entity it belongs to and
its blocking keys (to find, on a refresh, the records a changed one must be compared with);
``identity_entities`` every entity with its confidence,
its records and its links, each as the comparison vector the model explains;
``identity_overrides`` the verdicts people gave, newest last; ``identity_reviews`` the
"maybe" pairs left for a person; ``identity_review_posts`` each such pair put to a person
once (its id is the review id a button carries; the message posted, and the first verdict
given there);
``identity_state`` the source's cursor, the fitted models and the employees.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect


class JSONText(TypeDecorator[str]):
    """A JSON column written as JSON text made beforehand (pydantic serialises a record in
    Rust far faster than ``json.dumps`` of a dumped dict, and a build writes a row for every
    record); read back as the database driver decodes JSON (a dict, or the text)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        """No processing: the value is JSON text already, which every driver takes."""
        return None


FORMAT = "4"
"""The format of the rows below, kept in ``identity_state``; a graph in another is built
again (:meth:`~connectors.graph.store.GraphTables.create`). Format 2 keeps an entity's links as
comparison vectors, a record's JSON without its defaults and no index of records by
entity; format 3 no fingerprint of a record (a refresh tells a changed one by comparing it
with the one kept); format 4 company names compared on five levels ("alike" added), so links
kept as comparison vectors of four are not read with the models of five."""

metadata = MetaData()

records = Table(
    "identity_records",
    metadata,
    Column("system", String(60), primary_key=True),
    Column("record_id", String(320), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("entity_id", String(400), nullable=False),
    Column("data", JSONText, nullable=False),
    Column("block_keys", JSONText, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)
"""Kept in its primary key's order on SQLite (no rowid): a build's million rows go into one
tree, not a table and an index of its key beside it."""

entities = Table(
    "identity_entities",
    metadata,
    Column("entity_id", String(400), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("links", JSONText, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    sqlite_with_rowid=False,
)

overrides = Table(
    "identity_overrides",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("left_system", String(60), nullable=False),
    Column("left_id", String(320), nullable=False),
    Column("right_system", String(60), nullable=False),
    Column("right_id", String(320), nullable=False),
    Column("verdict", String(10), nullable=False),
    Column("decided_by", String(320), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

reviews = Table(
    "identity_reviews",
    metadata,
    Column("left_system", String(60), primary_key=True),
    Column("left_id", String(320), primary_key=True),
    Column("right_system", String(60), primary_key=True),
    Column("right_id", String(320), primary_key=True),
    Column("reason", String(20), nullable=False),
    Column("probability", Float, nullable=False),
    Column("link", JSON, nullable=False),
)

review_posts = Table(
    "identity_review_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("left_system", String(60), nullable=False),
    Column("left_id", String(320), nullable=False),
    Column("right_system", String(60), nullable=False),
    Column("right_id", String(320), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("messages", JSON(none_as_null=True)),
    Column("verdict", String(10)),
    Column("decided_by", String(320)),
    Column("decided_at", DateTime(timezone=True)),
    UniqueConstraint("left_system", "left_id", "right_system", "right_id"),
)

state = Table(
    "identity_state",
    metadata,
    Column("key", String(60), primary_key=True),
    Column("value", Text, nullable=False),
)

derived = [records, entities, reviews, state]
"""The tables made from the sources, which a change of :data:`FORMAT` drops and builds
again; the overrides and review posts are people's, kept."""
