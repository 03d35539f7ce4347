"""``crm.search_contacts`` over HubSpot, with the demo world's input, output and ranking.

HubSpot's search has no near-spelling match, so the candidates come from HubSpot and the
ranking from the same scorer the demo world uses
(:func:`~connectors.demo.ops_lists_contacts.ranked_contacts`). A query with an ``@`` asks for
the contacts whose ``email`` contains it (``CONTAINS_TOKEN "*@acme.io*"``); a name asks for
the contacts whose first or last name shares two letters in a row with one of its words
(``"*or*"``: "Morgn" still finds Morgan, "Maria" finds Aria), five filter groups a search as
HubSpot allows, and the scorer keeps those that match."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

from connectors import normalise
from connectors.demo.ops_base import context_read_operation
from connectors.demo.ops_lists_base import AccountIndex
from connectors.demo.ops_lists_contacts import SearchContactsInput, ranked_contacts
from connectors.errors import RecordNotFound
from connectors.hubspot.client import SYSTEM, HubSpotClient
from connectors.hubspot.properties import eq
from workflows.catalog import AnyOperation, CallContext
from workflows.domain import AccountRef, ContactMatches

CONTACT_PROPERTIES: Final = ("email", "firstname", "lastname", "jobtitle", "associatedcompanyid")
GROUPS_PER_SEARCH: Final = 5  # HubSpot's limit on filter groups in one search
MAX_PAIRS: Final = 20  # at most eight searches a query
Filter = dict[str, Any]


def contact_search_operation(hubspot: HubSpotClient, index: AccountIndex) -> AnyOperation:
    """``crm.search_contacts``, as the demo world declares it."""

    async def search(inp: SearchContactsInput, ctx: CallContext) -> ContactMatches:
        scope: list[Filter] = []
        if inp.account_id is not None:
            account = index.by_id().get(inp.account_id.strip())
            if account is None:
                raise RecordNotFound(f"there is no customer account {inp.account_id!r}",
                                     system=SYSTEM)  # fmt: skip
            company = account.links.get(SYSTEM)
            if company is None:
                return ContactMatches()
            scope = [eq("associations.company", company)]
        found: dict[str, dict[str, Any]] = {}
        for groups in _batches([[*scope, f] for f in _candidates(inp.query)]):
            for contact in await hubspot.search_any("contacts", groups, CONTACT_PROPERTIES):
                found[str(contact["id"])] = contact
        rows, accounts = await _rows(hubspot, index, list(found.values()))
        matches = ranked_contacts(inp.query, rows, accounts)[: inp.limit]
        return ContactMatches(contacts=matches, emails=[m.email for m in matches])

    return context_read_operation(
        "crm.search_contacts",
        "Find CRM contacts by a fragment of their name (near spellings too) or by email "
        "address (a part such as `@acme.io` lists a company's people), optionally at one "
        "`account_id`; best match first, each with title, email and account.",
        (SearchContactsInput, ContactMatches),
        search,
        None,
    )


def _candidates(query: str) -> list[Filter]:
    """One filter per way a contact could match ``query`` (any of them will do): a name
    that contains it, or is a near spelling of it, has two letters in a row of it."""
    wanted = " ".join(query.lower().split())
    if "@" in wanted:
        return [_token("email", f"*{wanted}*")]
    pairs = [w[i : i + 2] for w in wanted.split() for i in range(max(1, len(w) - 1))]
    chosen = list(dict.fromkeys(pairs))[:MAX_PAIRS]
    return [_token(p, f"*{pair}*") for pair in chosen for p in ("firstname", "lastname")]


def _token(name: str, pattern: str) -> Filter:
    return {"propertyName": name, "operator": "CONTAINS_TOKEN", "value": pattern}


def _batches(groups: Sequence[list[Filter]]) -> Iterator[list[list[Filter]]]:
    for start in range(0, len(groups), GROUPS_PER_SEARCH):
        yield list(groups[start : start + GROUPS_PER_SEARCH])


async def _rows(
    hubspot: HubSpotClient, index: AccountIndex, contacts: list[dict[str, Any]]
) -> tuple[list[dict[str, str]], dict[str, AccountRef]]:
    """The contacts as the ranking reads them, and their customers by account id; a contact
    with no company (or one HubSpot no longer has) is left out, as the demo world does."""
    known = index.by_link(SYSTEM)
    companies = {str(c["properties"].get("associatedcompanyid") or "") for c in contacts}
    unknown = sorted(c for c in companies - set(known) if c)
    others = await hubspot.read_many("companies", unknown, ("name", "domain")) if unknown else {}
    accounts = dict(known) | {
        i: AccountRef(account_id=i, name=str(o["properties"].get("name") or ""),
                      domain=str(o["properties"].get("domain") or ""))
        for i, o in others.items()
    }  # fmt: skip
    rows = []
    for contact in contacts:
        props = contact["properties"]
        account = accounts.get(str(props.get("associatedcompanyid") or ""))
        if account is None:
            continue
        rows.append({
            "id": str(contact["id"]),
            "name": normalise.person_name(props.get("firstname"), props.get("lastname")),
            "email": normalise.email(props.get("email")),
            "title": str(props.get("jobtitle") or ""),
            "account_id": account.account_id, "company": account.name, "domain": account.domain,
        })  # fmt: skip
    return rows, {a.account_id: a for a in accounts.values()}


__all__ = ["contact_search_operation"]
