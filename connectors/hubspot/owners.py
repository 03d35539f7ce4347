"""HubSpot's owners (``/crm/v3/owners``): who owns a company, a deal or an engagement, by
id (each asked once per connector), and an owner's id by email (asked each time: owners join
a portal while Crosswire runs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connectors import normalise
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.together import all_of


class Owners:
    """Owners' names and emails by id, cached for the connector's life, and ids by email."""

    def __init__(self, hubspot: HubSpotClient) -> None:
        self.hubspot = hubspot
        self._by_id: dict[str, dict[str, Any]] = {}

    async def load(self, owner_ids: Iterable[object], hubspot: HubSpotClient) -> None:
        """Ask ``hubspot`` (an operation's own client) at once for every owner among
        ``owner_ids`` not asked yet, so :meth:`name_and_email` then has them."""
        wanted = sorted({str(i) for i in owner_ids if i not in (None, "")} - set(self._by_id))
        found = await all_of(hubspot.get(f"/crm/v3/owners/{key}") for key in wanted)
        self._by_id |= dict(zip(wanted, found, strict=True))

    async def name_and_email(self, owner_id: object) -> tuple[str, str]:
        """An owner's name (their email when HubSpot has no name) and email; two empty
        strings for no owner."""
        if owner_id in (None, ""):
            return "", ""
        key = str(owner_id)
        if key not in self._by_id:
            self._by_id[key] = await self.hubspot.get(f"/crm/v3/owners/{key}")
        owner = self._by_id[key]
        email = normalise.email(owner.get("email"))
        name = normalise.person_name(owner.get("firstName"), owner.get("lastName"))
        return name or email, email

    async def id_of(self, email: str) -> str | None:
        """The id of the owner whose email is ``email``, or None when no owner has it."""
        wanted = normalise.email(email)
        found = await self.hubspot.get("/crm/v3/owners", {"email": wanted, "limit": "1"})
        results = found.get("results") if isinstance(found, dict) else None
        first = results[0] if isinstance(results, list) and results else None
        return str(first["id"]) if isinstance(first, dict) else None
