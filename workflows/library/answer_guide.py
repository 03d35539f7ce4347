"""The free-form workflow as the Claude planner is told of it: when to use it, how its answer
reads a plan, and an example plan.

It lives apart from :mod:`workflows.library.answer` because the planner's prompt module
imports the library; the composition root passes it to the planner with the built-in guides::

    ClaudePlanner(client, ..., guides=(*builtin_guides(), answer_guide()))
"""

from __future__ import annotations

from typing import Final

from workflows.library.answer import WORKFLOW
from workflows.plan import Plan, Step
from workflows.planning.claude_prompt import WorkflowGuide

USE_FOR: Final = (
    "Any other question the catalog can answer from what systems hold: lists, searches, "
    "counts and comparisons across systems (which of my accounts..., how many tickets..., who "
    "at..., which deals close...). Read with the list and search operations, then narrow and "
    "combine with the data operations: data.join on account.account_id puts the matching "
    "records of one list into each record of another under `into` (how 'inner' keeps only "
    "records with a match). The last step that is not a for_each is the answer: each of its "
    "records is listed with what was joined into it, and a for_each over that step's records "
    "adds one read per record (an account's contract, its usage). Every other step is shown "
    "as where the answer was drawn from. Step ids are yours to choose; give each step a "
    "`title` saying what it is for; where the question says 'my', use the requester's email. "
    "An action the requester asks for that no other workflow covers (close a ticket, tag it) "
    "is planned here too: its write step, with a `title` saying what it does, after the reads "
    "its arguments need; the answer then reports what was done."
)


def answer_example() -> Plan:
    """ "Which of my accounts renew in the next 60 days, and what is open with them?", as a
    plan the free-form composer answers (the requester's email as a placeholder)."""
    key = "account.account_id"
    return Plan(
        workflow=WORKFLOW,
        subject="Your accounts renewing in the next 60 days, with their open tickets",
        summary="Accounts renewing within 60 days, their unsolved tickets and usage",
        steps=(
            Step(
                id="renewing",
                operation="crm.list_accounts",
                args={"owner_email": "<requester email>", "renews_within_days": 60, "limit": 200},
                title="Your accounts renewing within 60 days",
            ),
            Step(
                id="unsolved",
                operation="support.list_tickets",
                args={"status": "unsolved", "limit": 200},
                title="Unsolved tickets",
            ),
            Step(
                id="answer",
                operation="data.join",
                args={
                    "left": {"$ref": "renewing.accounts"},
                    "right": {"$ref": "unsolved.tickets"},
                    "key": key,
                    "into": "open_tickets",
                    "how": "left",
                },
                title="Each renewing account with its unsolved tickets",
            ),
            Step(
                id="usage",
                operation="usage.get_trend",
                for_each="answer.records",
                args={"account": {"$item": "account"}},
                title="Each one's product usage",
            ),
        ),
    )


def answer_guide() -> WorkflowGuide:
    """The free-form workflow, for the Claude planner's ``guides``."""
    return WorkflowGuide(WORKFLOW, USE_FOR, answer_example())


__all__ = ["USE_FOR", "answer_example", "answer_guide"]
