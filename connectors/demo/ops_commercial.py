"""Writes that change commercial facts: a CRM field, a discount, a contract amendment.

A field update remembers the value it replaced, so restoring it takes only its output; a
discount can be removed; a contract amendment cannot be taken back by the bot.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from connectors.demo.behaviour import DemoBehaviour
from connectors.demo.ops_base import Input, asked_by, once, record_id, write_operation
from connectors.demo.ops_outreach import known_account, undo_once
from connectors.demo.schema import crm_accounts
from connectors.demo.store import DemoRead, DemoWorld
from connectors.demo.writes import billing_discounts, contract_amendments, crm_field_values
from connectors.errors import RecordNotFound
from workflows.catalog import AnyOperation, CallContext, Risk
from workflows.domain import ContractAmendment, DiscountApplied, FieldChange, Undone
from workflows.errors import PermanentOperationError

UpdatableField = Literal["lifecycle_stage", "industry"]
STAGES: Final = ("prospect", "customer", "churned")


class UpdateFieldInput(Input):
    account_id: str
    field: UpdatableField
    value: str = Field(min_length=1, max_length=200)


class ApplyDiscountInput(Input):
    account_id: str
    percent: float = Field(gt=0, le=50)
    reason: str = Field(min_length=1, max_length=500)


class AmendContractInput(Input):
    account_id: str
    change: str = Field(min_length=1, max_length=2_000)


def commercial_operations(world: DemoWorld, behaviour: DemoBehaviour) -> list[AnyOperation]:
    """``crm.update_field``, ``billing.apply_discount``, ``contracts.amend`` and the
    compensations of the first two."""
    writes = _Writes(world)
    return [
        write_operation(
            "crm.update_field",
            "Set a field of a CRM account (lifecycle_stage: prospect, customer or churned; "
            "industry); the previous value is kept so it can be restored.",
            (UpdateFieldInput, FieldChange),
            writes.update_field,
            behaviour,
            risk=Risk.MEDIUM,
            undo="crm.restore_field",
        ),
        write_operation(
            "crm.restore_field",
            "Put back the value a crm.update_field replaced (its compensation).",
            (FieldChange, Undone),
            writes.restore_field,
            behaviour,
            risk=Risk.MEDIUM,
        ),
        write_operation(
            "billing.apply_discount",
            "Apply a discount (percent, up to 50) to a customer's next invoices, with a reason.",
            (ApplyDiscountInput, DiscountApplied),
            writes.apply_discount,
            behaviour,
            risk=Risk.HIGH,
            undo="billing.remove_discount",
        ),
        write_operation(
            "billing.remove_discount",
            "Remove a discount applied by billing.apply_discount (its compensation).",
            (DiscountApplied, Undone),
            writes.remove_discount,
            behaviour,
            risk=Risk.HIGH,
        ),
        write_operation(
            "contracts.amend",
            "Record an amendment to a customer's contract (terms, tier, dates). Cannot be "
            "taken back.",
            (AmendContractInput, ContractAmendment),
            writes.amend,
            behaviour,
            risk=Risk.HIGH,
        ),
    ]


async def field_value(conn: AsyncConnection, account_id: str, field: str) -> str | None:
    """An account field as it stands: the last update written, else the CRM's own value."""
    v = crm_field_values
    query = select(v.c.value).where(v.c.account_id == account_id, v.c.field == field)
    written = await conn.scalar(query)
    if written is not None:
        return str(written)
    base = await conn.scalar(select(crm_accounts.c[field]).where(crm_accounts.c.id == account_id))
    return None if base is None else str(base)


async def field_overrides(conn: AsyncConnection, account_id: str) -> dict[str, str]:
    """The fields of an account that updates have set, by name."""
    v = crm_field_values
    rows = await conn.execute(select(v.c.field, v.c.value).where(v.c.account_id == account_id))
    return {str(field): str(value) for field, value in rows}


class _Writes:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    async def update_field(self, inp: UpdateFieldInput, ctx: CallContext) -> FieldChange:
        if inp.field == "lifecycle_stage" and inp.value not in STAGES:
            raise PermanentOperationError(
                f"lifecycle_stage must be one of {', '.join(STAGES)}, not {inp.value!r}",
                system="crm",
            )

        async def act(write: DemoRead) -> FieldChange:
            previous = await field_value(write.conn, inp.account_id, inp.field)
            if previous is None:
                raise RecordNotFound(
                    f"there is no customer account {inp.account_id!r}", system="crm"
                )
            await _set(write, ctx, inp.account_id, inp.field, inp.value)
            return FieldChange(
                change_id=record_id("chg", ctx), previous=previous, **inp.model_dump()
            )

        return await once(self.world, "crm.update_field", ctx, FieldChange, act)

    async def restore_field(self, inp: FieldChange, ctx: CallContext) -> Undone:
        async def act(write: DemoRead) -> Undone:
            current = await field_value(write.conn, inp.account_id, inp.field)
            if current is None:
                return Undone(of=inp.change_id, undone=False)
            await _set(write, ctx, inp.account_id, inp.field, inp.previous)
            return Undone(of=inp.change_id, undone=True)

        return await once(self.world, "crm.restore_field", ctx, Undone, act)

    async def apply_discount(self, inp: ApplyDiscountInput, ctx: CallContext) -> DiscountApplied:
        async def act(write: DemoRead) -> DiscountApplied:
            await known_account(write.conn, inp.account_id, "billing")
            discount = DiscountApplied(discount_id=record_id("disc", ctx), **inp.model_dump())
            row = inp.model_dump() | {"id": discount.discount_id}
            await write.conn.execute(billing_discounts.insert().values(**row, **asked_by(ctx)))
            return discount

        return await once(self.world, "billing.apply_discount", ctx, DiscountApplied, act)

    async def remove_discount(self, inp: DiscountApplied, ctx: CallContext) -> Undone:
        return await undo_once(
            self.world, "billing.remove_discount", ctx, billing_discounts, inp.discount_id,
            "removed_at",
        )  # fmt: skip

    async def amend(self, inp: AmendContractInput, ctx: CallContext) -> ContractAmendment:
        async def act(write: DemoRead) -> ContractAmendment:
            await known_account(write.conn, inp.account_id, "contracts")
            amendment = ContractAmendment(amendment_id=record_id("amd", ctx), **inp.model_dump())
            row = inp.model_dump() | {"id": amendment.amendment_id, "at": write.now}
            await write.conn.execute(contract_amendments.insert().values(**row, **asked_by(ctx)))
            return amendment

        return await once(self.world, "contracts.amend", ctx, ContractAmendment, act)


async def _set(write: DemoRead, ctx: CallContext, account_id: str, field: str, value: str) -> None:
    v = crm_field_values
    await write.conn.execute(delete(v).where(v.c.account_id == account_id, v.c.field == field))
    row = {"account_id": account_id, "field": field, "value": value, "changed_at": write.now}
    await write.conn.execute(v.insert().values(**row, **asked_by(ctx)))
