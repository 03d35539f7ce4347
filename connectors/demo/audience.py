"""Who the demo systems associate with a customer account (an
:class:`~workflows.engine.recipients.Audience`).

Read from the world at the moment of asking: the account's CRM contacts, and the people on
its mail threads (a thread is the account's when one of its contacts, or an address on its
domain, takes part) whose address is on a known domain: the account's, or one of its
contacts'. Someone copied on a thread from another domain is not associated with it.
"""

from __future__ import annotations

from sqlalchemy import select

from connectors.demo.schema import crm_accounts, crm_contacts, mail_threads
from connectors.demo.store import DemoWorld


class DemoAudience:
    """The demo world's answer to "who do we know at this customer"."""

    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def associated_with(self, account_id: str) -> frozenset[str]:
        """The account's contacts and its threads' participants on known domains, lower
        case; empty for an account the CRM does not have."""
        async with self.world.read() as read:
            domain = await read.conn.scalar(
                select(crm_accounts.c.domain).where(crm_accounts.c.id == account_id)
            )
            if domain is None:
                return frozenset()
            query = select(crm_contacts.c.email).where(crm_contacts.c.account_id == account_id)
            contacts = {str(e).lower() for e in await read.conn.scalars(query)}
            threads = (await read.conn.scalars(select(mail_threads.c.participants))).all()
        domains = {str(domain).lower()} | {_domain(c) for c in contacts}
        known = set(contacts)
        for participants in threads:
            people = {str(p).lower() for p in participants}
            if people & contacts or any(_domain(p) == str(domain).lower() for p in people):
                known |= {p for p in people if _domain(p) in domains}
        return frozenset(known)


def _domain(address: str) -> str:
    return address.rpartition("@")[2]
