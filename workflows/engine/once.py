"""At most once for a write its system cannot recognise a repeat of (an MCP tool, which has no
idempotency header): such a write is never sent a second time by a later execution of its run.

DBOS runs a step again when the process died before the step was checkpointed, which is safe
for a write that carries an idempotency key its system honours, and not for one whose system
ignores it. So, just before such a write's step, a step of its own records which execution of
the run got there first (a token made afresh by every execution). An execution that finds
another's token is running the write again after a restart: the write may have been sent,
so its step fails saying so instead of sending it. A crash between that record and the send
therefore costs the write rather than repeating it: at most once, never twice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import uuid4

from dbos import DBOS

from workflows.catalog import AnyOperation, CallContext
from workflows.errors import PermanentOperationError
from workflows.plan import Step


async def sent_before(step: Step, operation: AnyOperation) -> bool:
    """Whether ``step``'s write may have been sent by an earlier execution of this run (only
    ever for an operation that is not ``repeatable``; called in the workflow)."""
    if operation.access != "write" or operation.repeatable:
        return False
    this = uuid4().hex
    first = await DBOS.run_step_async({"name": f"sending:{step.id}"}, _first_here, this)
    return bool(first != this)


async def _first_here(token: str) -> str:
    return token


def not_sent_again(operation: AnyOperation, label: str) -> AnyOperation:
    """``operation`` as a write that refuses to be sent again (see the module)."""
    reason = (
        f"{operation.name} may have been sent before Crosswire restarted, and the {label} "
        "cannot tell a repeat, so it was not sent again: check there whether it was done"
    )

    async def refuse(inp: Any, ctx: CallContext) -> Any:
        raise PermanentOperationError(reason, system=operation.system)

    return replace(operation, handler=refuse)


__all__ = ["not_sent_again", "sent_before"]
