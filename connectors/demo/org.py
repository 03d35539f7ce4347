"""The demo CRM's org chart for access control: Northwind's staff with their roles and
managers, each account's owner, and the teams of each account's open deals."""

from __future__ import annotations

from sqlalchemy import select

from connectors.access.org import Org, Person
from connectors.demo.schema import crm_accounts, crm_deal_team, crm_deals, crm_users
from connectors.demo.store import DemoWorld

CLOSED_STAGES = ("Closed Won", "Closed Lost")


class DemoOrg:
    """Reads the org from the demo world's CRM tables, on every call (an :class:`OrgSource`)."""

    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def org(self) -> Org:
        open_teams = (
            select(crm_deals.c.account_id, crm_deal_team.c.email)
            .join(crm_deal_team, crm_deal_team.c.deal_id == crm_deals.c.id)
            .where(crm_deals.c.stage.not_in(CLOSED_STAGES))
        )
        async with self.world.read() as snapshot:
            users = (await snapshot.conn.execute(select(crm_users))).mappings().all()
            accounts = (await snapshot.conn.execute(select(crm_accounts))).mappings().all()
            teams = (await snapshot.conn.execute(open_teams)).all()
        deal_teams: dict[str, set[str]] = {}
        for account_id, email in teams:
            deal_teams.setdefault(str(account_id), set()).add(str(email).lower())
        return Org(
            people={
                str(u["email"]).lower(): Person(
                    email=str(u["email"]).lower(),
                    name=str(u["name"]),
                    roles=tuple(u["roles"] or ()),
                    manager_email=(u["manager_email"] or None) and str(u["manager_email"]).lower(),
                )
                for u in users
            },
            account_names={str(a["id"]): str(a["name"]) for a in accounts},
            owners={str(a["id"]): str(a["owner_email"]).lower() for a in accounts},
            deal_teams={a: frozenset(team) for a, team in deal_teams.items()},
            domains={str(a["domain"]).lower(): str(a["id"]) for a in accounts},
        )
