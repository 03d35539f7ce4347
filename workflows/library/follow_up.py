"""The webinar follow-up: prospects who attended last week's webinar but booked no demo.

The plan reads each system in its own step: who attended (marketing), who booked a demo
(scheduling), which attendees are the requester's prospects and not booked (CRM), their recent
CRM activity and their mail; then drafts one email per prospect (``drafts.follow_up``, pure),
sends each (``email.send``, which the approval policy holds for a manager) and logs each sent
email as a CRM activity.

A draft is written from what was found, not from one template: someone whose budget waits
for Q1 is offered material for that discussion, someone in a security review gets the
documents it needs, a question asked by email is quoted back, an unanswered intro is
followed up as such, and the demo is pitched at what the person's role cares about (see
:mod:`workflows.library.follow_up_drafts`).
"""

from __future__ import annotations

from typing import Final

from workflows.catalog import AnyOperation, CallContext, Operation
from workflows.library.follow_up_drafts import FollowUpDraft, FollowUpInput, draft_follow_up
from workflows.plan import Plan, Step

WORKFLOW: Final = "follow_up"
DRAFT_OPERATION: Final = "drafts.follow_up"
SYSTEM_LABELS: Final = {"drafts": "Drafts"}


def follow_up_plan(requester_email: str) -> Plan:
    """Follow up with ``requester_email``'s prospects who attended last week's webinar and
    have booked no demo: one drafted email each, sent, and logged in the CRM."""
    item = {"$item": ""}
    return Plan(
        workflow=WORKFLOW,
        subject="Webinar follow-up",
        summary="Prospects from last week's webinar without a demo booked",
        steps=(
            Step(
                id="attendees",
                operation="marketing.webinar_attendees",
                args={"since_days": 7},
                title="Last week's webinar attendees",
            ),
            Step(
                id="bookings",
                operation="scheduling.demo_bookings",
                args={"since_days": 30},
                title="Demos booked",
            ),
            Step(
                id="prospects",
                operation="crm.find_contacts",
                args={
                    "emails": {"$ref": "attendees.emails"},
                    "exclude": {"$ref": "bookings.emails"},
                    "owner_email": requester_email,
                    "lifecycle_stage": "prospect",
                },
                title="Your prospects among them, without a demo",
            ),
            Step(
                id="activity",
                operation="crm.contact_activity",
                args={"emails": {"$ref": "prospects.emails"}, "since_days": 30},
                title="Recent CRM activity",
            ),
            Step(
                id="mail",
                operation="email.threads_with",
                args={"emails": {"$ref": "prospects.emails"}, "per_person": 3},
                title="Email history",
            ),
            Step(
                id="drafts",
                operation=DRAFT_OPERATION,
                for_each="prospects.contacts",
                args={
                    "prospect": item,
                    "attendance": {"$ref": "attendees.attendees"},
                    "activities": {"$ref": "activity.activities"},
                    "threads": {"$ref": "mail.threads"},
                },
                title="Draft a follow-up for each",
            ),
            Step(
                id="send",
                operation="email.send",
                for_each="drafts",
                args={k: {"$item": k} for k in ("to", "subject", "body", "account_id")},
                title="Follow-up emails",
            ),
            Step(
                id="log",
                operation="crm.log_activity",
                for_each="send",
                args={
                    "account_id": {"$item": "account_id"},
                    "contact_email": {"$item": "to"},
                    "kind": "email",
                    "summary": {"$item": "subject"},
                },
                title="CRM activities for the emails sent",
            ),
        ),
    )


def follow_up_operations() -> list[AnyOperation]:
    """The pure operations of this workflow, for the catalog (system labels:
    :data:`SYSTEM_LABELS`)."""
    return [
        Operation(
            name=DRAFT_OPERATION,
            system="drafts",
            description="Write a personal follow-up email to one webinar attendee from what "
            "the other steps found (their CRM activity, their mail); no system is called.",
            input_model=FollowUpInput,
            output_model=FollowUpDraft,
            handler=_draft_step,
            access="read",
        )
    ]


async def _draft_step(inp: FollowUpInput, ctx: CallContext) -> FollowUpDraft:
    return draft_follow_up(inp)


__all__ = [
    "DRAFT_OPERATION",
    "SYSTEM_LABELS",
    "FollowUpDraft",
    "FollowUpInput",
    "draft_follow_up",
    "follow_up_operations",
    "follow_up_plan",
]
