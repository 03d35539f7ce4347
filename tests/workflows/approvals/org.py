"""The demo company's org chart as the approval policy sees it, and approvals to decide.

:class:`OrgChart` is a :class:`~workflows.ports.People` over a fixed table (the contract's
demo org chart): the policy, store and desk are tested against it without building the demo
world."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflows.approvals import Approval, ApprovalItem, approval_id, fingerprint
from workflows.domain import Employee
from workflows.models import Principal, ReplyTarget

DOMAIN = "northwind.example"
# name, title, manager's name (None at the top)
STAFF: tuple[tuple[str, str, str | None], ...] = (
    ("Dana Reyes", "Account Executive", "Rachel Kim"),
    ("Marcus Chen", "Account Executive", "Rachel Kim"),
    ("Priya Patel", "Senior Account Executive", "Rachel Kim"),
    ("Rachel Kim", "Sales Manager", "Victor Alvarez"),
    ("Victor Alvarez", "VP of Sales", None),
    ("Omar Haddad", "Finance Manager", "Victor Alvarez"),
    ("Grace Liu", "Customer Success Manager", "Rachel Kim"),
)


def email_of(name: str) -> str:
    return f"{name.lower().replace(' ', '.')}@{DOMAIN}"


DANA, RACHEL, VICTOR, MARCUS = (
    email_of(n) for n in ("Dana Reyes", "Rachel Kim", "Victor Alvarez", "Marcus Chen")
)


@dataclass
class OrgChart:
    """Who is whose manager and who owns which account (account id → owner's email)."""

    owners: dict[str, str] = field(default_factory=dict)
    left: set[str] = field(default_factory=set)

    def find_employee(self, email: str) -> Employee | None:
        for name, title, _ in STAFF:
            if email_of(name) == email.strip().lower() and email_of(name) not in self.left:
                return Employee(email=email_of(name), name=name, title=title)
        return None

    def manager_of(self, email: str) -> Employee | None:
        for name, _, manager in STAFF:
            if email_of(name) == email.strip().lower() and manager is not None:
                return self.find_employee(email_of(manager))
        return None

    def account_owner(self, account_id: str) -> Employee | None:
        owner = self.owners.get(account_id)
        return self.find_employee(owner) if owner else None


def principal(email: str) -> Principal:
    person = OrgChart().find_employee(email)
    assert person is not None, email
    return Principal(email=person.email, name=person.name)


def follow_up_items(count: int = 3) -> tuple[ApprovalItem, ...]:
    return tuple(
        ApprovalItem(
            index=i,
            args={
                "to": f"lead{i}@prospect{i}.example",
                "subject": f"Following up {i}",
                "body": f"Hello {i}",
            },
            summary=f"Email lead{i}@prospect{i}.example",
            editable=("subject", "body"),
        )
        for i in range(count)
    )


def an_approval(
    *,
    created: datetime,
    ttl: timedelta = timedelta(hours=24),
    run_id: str = "run-1",
    step_id: str = "send",
    requester: str = DANA,
    approvers: tuple[str, ...] = (RACHEL,),
    items: tuple[ApprovalItem, ...] | None = None,
) -> Approval:
    items = follow_up_items() if items is None else items
    person = principal(requester)
    return Approval(
        id=approval_id(run_id, step_id),
        run_id=run_id,
        step_id=step_id,
        operation="email.send",
        system="email",
        title=f"Approve {len(items)} follow-up emails for {person.name}",
        requester_email=person.email,
        requester_name=person.name,
        reply=ReplyTarget(kind="slack", channel="C1", thread_ts="1.0", user_id="U1"),
        items=items,
        fingerprint=fingerprint("email.send", items),
        approvers=approvers,
        rule="customer-email",
        created_at=created,
        expires_at=created + ttl,
    )
