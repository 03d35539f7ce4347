"""The one refusal of the access layer, in the words the requester reads."""

from __future__ import annotations

from connectors.access.org import Org
from workflows.errors import NotPermitted


class NoAccess(NotPermitted):
    """The requester may not see this account (or this part of it): permanent, and said
    plainly, naming the account and who owns it, and nothing else of it."""

    def __init__(self, account_id: str, text: str, *, rule: str, system: str | None = None) -> None:
        super().__init__(text, system=system)
        self.account_id = account_id
        self.rule = rule


def refusal_text(org: Org, account_id: str) -> str:
    """ "You don't have access to Blue Harbor Logistics; its owner is Marcus Chen.\""""
    name = org.account_names.get(account_id)
    if name is None:
        return "You don't have access to that account."
    owner = org.owners.get(account_id)
    if owner is None:
        return f"You don't have access to {name}."
    return f"You don't have access to {name}; its owner is {org.name_of(owner)}."
