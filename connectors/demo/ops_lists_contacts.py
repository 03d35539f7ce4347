"""Searching CRM contacts by a fragment of their name (near spellings too) or their email.

A query with an ``@`` is an email address or a part of one (``@acme.io`` finds everyone at
that domain); any other query is a name: every contact whose name contains it, and those whose
name is a near spelling of it ("Alex Morgn"), scored with rapidfuzz.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from pydantic import Field
from rapidfuzz import fuzz
from sqlalchemy import RowMapping, select

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import Input, context_read_operation
from connectors.demo.ops_lists_base import AccountIndex
from connectors.demo.schema import crm_accounts, crm_contacts
from connectors.demo.store import DemoRead, DemoWorld
from connectors.errors import RecordNotFound
from workflows.catalog import AnyOperation, CallContext
from workflows.domain import AccountRef, ContactMatch, ContactMatches

SIMILAR_SCORE: Final = 80.0
How = Literal["email", "name", "similar"]
Scored = tuple[How, float]  # how it matched, and how well (0-100)


class SearchContactsInput(Input):
    """A name fragment or an email address (or part of one); optionally only the contacts of
    one customer (its unified ``account_id``); at most ``limit`` matches."""

    query: str = Field(min_length=2, max_length=200)
    account_id: str | None = None
    limit: int = Field(default=10, ge=1, le=50)


def contact_search_operations(
    world: DemoWorld, index: AccountIndex, behaviour: DemoBehaviour
) -> list[AnyOperation]:
    """``crm.search_contacts``."""

    async def search(inp: SearchContactsInput, ctx: CallContext) -> ContactMatches:
        accounts = index.by_id()
        if inp.account_id is not None and inp.account_id.strip() not in accounts:
            raise RecordNotFound(f"there is no customer account {inp.account_id!r}", system="crm")
        async with world.read() as snapshot:
            rows = await _contacts(snapshot, inp.account_id)
        matches = ranked_contacts(inp.query, rows, accounts)[: inp.limit]
        return ContactMatches(contacts=matches, emails=[m.email for m in matches])

    return [
        context_read_operation(
            "crm.search_contacts",
            "Find CRM contacts by a fragment of their name (near spellings too) or by email "
            "address (a part such as `@acme.io` lists a company's people), optionally at one "
            "`account_id`; best match first, each with title, email and account.",
            (SearchContactsInput, ContactMatches),
            search,
            behaviour,
        )
    ]


async def _contacts(snapshot: DemoRead, account_id: str | None) -> Sequence[RowMapping]:
    """Every contact (of one account, if given) with its company's name and domain."""
    c, a = crm_contacts, crm_accounts
    query = (
        select(c, a.c.name.label("company"), a.c.domain)
        .join(a, a.c.id == c.c.account_id)
        .order_by(c.c.name, c.c.id)
    )
    if account_id is not None:
        query = query.where(c.c.account_id == account_id.strip())
    return (await snapshot.conn.execute(query)).mappings().all()


def ranked_contacts(
    query: str, rows: Sequence[Mapping[Any, Any]], accounts: dict[str, AccountRef]
) -> list[ContactMatch]:
    """The contacts among ``rows`` (``id``, ``name``, ``email``, ``title``, ``account_id``,
    ``company``, ``domain``) that match ``query``, best first: what every CRM's
    ``crm.search_contacts`` answers, whichever system the rows came from."""
    wanted = _plain(query)
    scorer = _email_score if "@" in wanted else _name_score
    found: list[ContactMatch] = []
    for row in rows:
        scored = scorer(wanted, row)
        if scored is None:
            continue
        how, score = scored
        account = accounts.get(row["account_id"]) or AccountRef(
            account_id=row["account_id"], name=row["company"], domain=row["domain"]
        )
        fields = {k: row[k] for k in ("id", "name", "email", "title", "account_id")}
        found.append(ContactMatch(account=account, how=how, score=round(score, 1), **fields))
    return sorted(found, key=lambda m: (-m.score, m.name, m.email))


def _plain(text: str) -> str:
    """Lower case, single spaces."""
    return " ".join(text.lower().split())


def _email_score(wanted: str, row: Mapping[Any, Any]) -> Scored | None:
    email = str(row["email"]).lower()
    if email == wanted:
        return "email", 100.0
    return ("email", 90.0) if wanted in email else None


def _name_score(wanted: str, row: Mapping[Any, Any]) -> Scored | None:
    name = _plain(str(row["name"]))
    if name == wanted:
        return "name", 100.0
    if wanted in name:
        starts_a_word = re.search(rf"\b{re.escape(wanted)}", name) is not None
        return "name", 95.0 if starts_a_word else 90.0
    score = _similarity(wanted, name)
    return ("similar", score) if score >= SIMILAR_SCORE else None


def _similarity(wanted: str, name: str) -> float:
    """How close ``wanted`` is to ``name``: as whole strings, or word by word when each word
    typed is close to one of the name's words ("morgn" for Morgan)."""
    whole = fuzz.ratio(wanted, name)
    words = name.split()
    best = [max(fuzz.ratio(w, n) for n in words) for w in wanted.split() if len(w) >= 3]
    if best and min(best) >= SIMILAR_SCORE:
        return max(whole, sum(best) / len(best))
    return whole
