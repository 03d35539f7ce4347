"""The demo systems' catalog entries: every read and write, in a stable order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import Input, read_operation
from connectors.demo.ops_commercial import commercial_operations
from connectors.demo.ops_comms import comms_operations
from connectors.demo.ops_crm import crm_operations
from connectors.demo.ops_growth import growth_operations
from connectors.demo.ops_lists import list_operations
from connectors.demo.ops_outreach import outreach_operations
from connectors.demo.ops_service import service_operations
from connectors.demo.store import DemoWorld
from workflows.catalog import AnyOperation
from workflows.domain import AccountResolution

if TYPE_CHECKING:  # connectors.identity imports this package; only the type is needed here
    from connectors.identity import IdentityDirectory


class ResolveAccountInput(Input):
    """``query`` as typed; ``account_id`` when the account is already known (exact)."""

    query: str
    account_id: str | None = None


def demo_operations(
    world: DemoWorld, directory: IdentityDirectory, behaviour: DemoBehaviour
) -> list[AnyOperation]:
    """All demo operations; ``behaviour`` applies to every system but the directory."""

    async def resolve(inp: ResolveAccountInput) -> AccountResolution:
        if inp.account_id is not None and directory.account(inp.account_id) is not None:
            return directory.resolve_account(inp.account_id).model_copy(update={"query": inp.query})
        return directory.resolve_account(inp.query)

    directory_op = read_operation(
        "directory.resolve_account",
        "Find which customer account a name, domain or email address means (exactly, given "
        "its account_id); returns the account with its ids in every system, or candidates "
        "when unsure. Use it first.",
        (ResolveAccountInput, AccountResolution),
        resolve,
        None,
    )
    return [
        directory_op,
        *crm_operations(world, behaviour),
        *comms_operations(world, behaviour),
        *service_operations(world, behaviour),
        *growth_operations(world, behaviour),
        *outreach_operations(world, behaviour),
        *commercial_operations(world, behaviour),
        *list_operations(world, directory, behaviour),
    ]
