"""The list and search operations of the demo systems: records across every customer,
filtered, each carrying the account it belongs to so that lists from different systems join
on ``account.account_id`` (see :mod:`workflows.dataops`)."""

from __future__ import annotations

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_lists_base import AccountIndex, AccountSource
from connectors.demo.ops_lists_contacts import contact_search_operations
from connectors.demo.ops_lists_crm import crm_list_operations
from connectors.demo.ops_lists_service import service_list_operations
from connectors.demo.store import DemoWorld
from workflows.catalog import AnyOperation


def list_operations(
    world: DemoWorld, accounts: AccountSource, behaviour: DemoBehaviour
) -> list[AnyOperation]:
    """``crm.list_accounts``, ``crm.deals_closing``, ``crm.search_contacts``,
    ``support.list_tickets`` and ``billing.overdue_invoices``; ``accounts`` (the identity
    directory) says which customer each system's record is."""
    index = AccountIndex(accounts)
    return [
        *crm_list_operations(world, index, behaviour),
        *contact_search_operations(world, index, behaviour),
        *service_list_operations(world, index, behaviour),
    ]


__all__ = ["AccountSource", "list_operations"]
