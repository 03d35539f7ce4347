"""Whether the durable step running now may already have done its work once.

DBOS checkpoints a step when it returns. A step whose side effect happened (Slack accepted a
post) but whose checkpoint did not (the process died, or the call timed out and the step is
retried) runs again, so such a side effect must first look for itself. Looking costs a call
to the other system, so a step looks only when :func:`may_have_happened` says so:

- the step is being retried (DBOS's attempt counter is past the first), or a post inside it
  is being retried in place (:func:`retried_in_place`, see :mod:`workflows.engine.delivery`),
  or
- its workflow is being recovered by the process that ran it: DBOS counts every dispatch of
  a workflow in ``recovery_attempts`` (1 for the first; a recovery on launch re-enqueues it
  and counts again), or
- its workflow was taken over from a replica that died (:mod:`workflows.engine.replicas`
  marks it with the :data:`TAKEN_OVER_FROM` attribute before resuming it, because
  ``DBOS.resume_workflow`` restarts the dispatch count), or
- it is a fork (``DBOS.fork_workflow``) of a run whose later steps may have run.

A run resumed by hand (``DBOS.resume_workflow``, the ``dbos`` CLI) carries none of these
marks and looks like a first execution.

Outside a DBOS step (a reporter called directly) nothing has happened before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from dbos import DBOS, WorkflowStatus

FIRST_DISPATCH = 1
_retried_in_place: ContextVar[bool] = ContextVar("crosswire_retried_in_place", default=False)
# The workflow attribute naming the dead executor a run was taken over from.
TAKEN_OVER_FROM = "crosswire_taken_over_from"


async def may_have_happened() -> bool:
    """Whether the current step's side effect may already have happened (see the module)."""
    status, workflow_id = DBOS.step_status, DBOS.workflow_id
    if status is None or workflow_id is None:
        return False
    if status.current_attempt or _retried_in_place.get():
        return True
    # One indexed row, without the run's inputs and outputs.
    found = await DBOS.list_workflows_async(
        workflow_ids=[workflow_id], load_input=False, load_output=False
    )
    return any(dispatched_before(w) for w in found)


def dispatched_before(workflow: WorkflowStatus) -> bool:
    """Whether ``workflow`` has been run before, in this process or another (see the module)."""
    return (
        (workflow.recovery_attempts or 0) > FIRST_DISPATCH
        or TAKEN_OVER_FROM in (workflow.attributes or {})
        or workflow.forked_from is not None
    )


@contextmanager
def retried_in_place(retried: bool = True) -> Iterator[None]:
    """Within this block, the current step's side effect may have happened: an attempt after
    the first of something the step retries itself."""
    token = _retried_in_place.set(retried)
    try:
        yield
    finally:
        _retried_in_place.reset(token)
