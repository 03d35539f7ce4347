"""The action boundary's policy: which write steps wait for a person, and who may decide.

The policy is one TOML file (the packaged ``policy.toml`` unless ``CROSSWIRE_POLICY_FILE``
names another): rules tried in order, the first that matches a step deciding it. The policy
only reads: who is whose manager and who owns which account come from :class:`People`, at the
moment of asking (:meth:`ApprovalPolicy.gate`) and again at the moment of a click
(:meth:`ApprovalPolicy.may_decide`). Approval is not authorization: the engine still runs only
what the catalog allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workflows.approvals.models import PREVIEW_RULE, Approval
from workflows.catalog import AnyOperation
from workflows.models import Principal
from workflows.policy_files import PolicySource
from workflows.ports import People

RiskName = Literal["low", "medium", "high"]
ManagerOrOwner = Literal["manager-or-owner"]
MANAGER_OR_OWNER: ManagerOrOwner = "manager-or-owner"
READ_RULE = "read"
UNMATCHED_HIGH_RISK = "unmatched-high-risk"
UNMATCHED_WRITE = "unmatched-write"


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the problem."""


_FILE = PolicySource(
    "policy file", "workflows.approvals", "policy.toml", "the packaged policy.toml", PolicyError
)


class Rule(BaseModel):
    """One rule of the policy file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    operations: tuple[str, ...] = ()
    risk: tuple[RiskName, ...] = ()
    recipients_outside: str | None = None
    approval: bool
    approvers: ManagerOrOwner | tuple[str, ...] = MANAGER_OR_OWNER
    allow_self_approval: bool = False
    why: str = Field(min_length=1)

    @field_validator("approvers")
    @classmethod
    def _emails(cls, value: ManagerOrOwner | tuple[str, ...]) -> ManagerOrOwner | tuple[str, ...]:
        if isinstance(value, tuple):
            if not value or any("@" not in email for email in value):
                raise ValueError(f'should be "{MANAGER_OR_OWNER}" or a list of email addresses')
            return tuple(email.strip().lower() for email in value)
        return value

    def matches(self, operation: AnyOperation, calls: list[dict[str, Any]]) -> bool:
        if self.operations and not any(fnmatchcase(operation.name, p) for p in self.operations):
            return False
        if self.risk and operation.risk.value not in self.risk:
            return False
        if self.recipients_outside is not None:
            domain = self.recipients_outside.lower()
            return any(_outside(address, domain) for call in calls for address in _to(call))
        return True


class PolicyFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: tuple[Rule, ...] = ()

    @field_validator("rule")
    @classmethod
    def _names_unique(cls, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        names = [r.name for r in rules]
        if PREVIEW_RULE in names:
            raise ValueError(f"the rule name {PREVIEW_RULE!r} is Crosswire's own; choose another")
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"rule names must be unique; used twice: {', '.join(twice)}")
        return rules


class Gate(BaseModel):
    """The policy's decision on one step: whether it waits, by which rule, for whom, and why."""

    model_config = ConfigDict(frozen=True)

    required: bool
    rule: str
    approvers: tuple[str, ...] = ()
    why: str


_FALLBACKS = {
    UNMATCHED_HIGH_RISK: Rule(
        name=UNMATCHED_HIGH_RISK, approval=True, why="High-risk actions need a manager's approval"
    ),
    UNMATCHED_WRITE: Rule(
        name=UNMATCHED_WRITE, approval=False, why="This kind of change needs no approval"
    ),
}


class ApprovalPolicy:
    """The rules of one policy file, in order."""

    def __init__(self, rules: Iterable[Rule], source: str = "policy") -> None:
        self.rules = tuple(rules)
        self.source = source
        self._by_name = {r.name: r for r in (*self.rules, *_FALLBACKS.values())}

    @classmethod
    def load(cls, path: Path | None = None) -> ApprovalPolicy:
        """The policy in ``path`` (None: the packaged demo defaults).

        Raises :class:`PolicyError` naming the file and what is wrong with it."""
        text, source = _FILE.read(path)
        return cls.parse(text, source=source)

    @classmethod
    def parse(cls, text: str, *, source: str) -> ApprovalPolicy:
        data = _FILE.table(text, source=source)
        try:
            parsed = PolicyFile.model_validate(data)
        except ValidationError as exc:
            raise PolicyError(f"{source}: {_problem(exc, data)}") from None
        return cls(parsed.rule, source)

    def rule(self, name: str) -> Rule | None:
        return self._by_name.get(name)

    def gate(
        self,
        operation: AnyOperation,
        calls: list[dict[str, Any]],
        requester: Principal,
        people: People,
    ) -> Gate:
        """Whether ``calls`` of ``operation`` for ``requester`` must wait, and for whom."""
        if operation.access == "read":
            return Gate(required=False, rule=READ_RULE, why="Reading needs no approval")
        rule = self._first_match(operation, calls)
        if not rule.approval:
            return Gate(required=False, rule=rule.name, why=rule.why)
        approvers = _approvers(rule, calls, requester.email, people)
        why = rule.why if approvers else f"{rule.why}, and nobody in the directory can give it"
        return Gate(required=True, rule=rule.name, approvers=approvers, why=why)

    def foresee(self, operation: AnyOperation, requester: Principal, people: People) -> Gate:
        """The gate a write step is expected to meet, before its calls are known (a plan
        preview): a rule narrowed to sends outside a domain is taken to match, since the
        step may send there; who decides is as for a call on none of the accounts."""
        if operation.access == "read":
            return Gate(required=False, rule=READ_RULE, why="Reading needs no approval")
        rule = self._first_match(operation, [], assume_outside=True)
        if not rule.approval:
            return Gate(required=False, rule=rule.name, why=rule.why)
        approvers = _approvers(rule, [{}], requester.email, people)
        return Gate(required=True, rule=rule.name, approvers=approvers, why=rule.why)

    def _first_match(
        self, operation: AnyOperation, calls: list[dict[str, Any]], *, assume_outside: bool = False
    ) -> Rule:
        for rule in self.rules:
            wide = rule.model_copy(update={"recipients_outside": None}) if assume_outside else rule
            if wide.matches(operation, calls):
                return rule
        high = operation.risk.value == "high"
        return _FALLBACKS[UNMATCHED_HIGH_RISK if high else UNMATCHED_WRITE]

    def may_decide(
        self, approval: Approval, email: str, people: People | None = None
    ) -> str | None:
        """None if ``email`` may decide ``approval``, else a polite reason why not (naming
        who can, by name when ``people`` is given)."""
        who = email.strip().lower()
        rule = self.rule(approval.rule)
        self_allowed = rule is not None and rule.allow_self_approval
        if who == approval.requester_email.lower() and not self_allowed:
            return "You asked for this, so someone else must approve it."
        if who in (a.lower() for a in approval.approvers):
            return None
        if not approval.approvers:
            return "Nobody in the directory can approve this."
        return f"Only {names_of(approval.approvers, people)} can approve this."

    def escalation(self, approval: Approval, people: People) -> tuple[str, ...]:
        """Whom an approval goes to next: the current approvers' managers who are not already
        approvers (nor the requester); empty at the top of the company."""
        current = {a.lower() for a in approval.approvers} | {approval.requester_email.lower()}
        added: list[str] = []
        for approver in approval.approvers:
            manager = people.manager_of(approver)
            if manager is not None and manager.email.lower() not in current:
                current.add(manager.email.lower())
                added.append(manager.email)
        return tuple(added)


def names_of(emails: Iterable[str], people: People | None) -> str:
    """People's names joined as a sentence says them ("Rachel Kim or Victor Alvarez")."""
    names = [_name(email, people) for email in emails]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def _name(email: str, people: People | None) -> str:
    found = people.find_employee(email) if people is not None else None
    return found.name if found is not None else email


def _approvers(
    rule: Rule, calls: list[dict[str, Any]], requester: str, people: People
) -> tuple[str, ...]:
    chosen: list[str] = []
    if isinstance(rule.approvers, tuple):
        chosen.extend(rule.approvers)
    else:
        manager = people.manager_of(requester)
        for call in calls:
            owner = _owner(call, people)
            if owner is not None and owner.lower() != requester.lower():
                chosen.append(owner)
            elif manager is not None:
                chosen.append(manager.email)
    if not rule.allow_self_approval:
        chosen = [e for e in chosen if e.lower() != requester.lower()]
    if not chosen:
        chosen.extend(_next_manager_up(requester, people))
    return _unique(chosen)


def _owner(call: dict[str, Any], people: People) -> str | None:
    account_id = call.get("account_id")
    if not isinstance(account_id, str) or not account_id:
        return None
    owner = people.account_owner(account_id)
    return owner.email if owner is not None else None


def _next_manager_up(requester: str, people: People) -> list[str]:
    manager = people.manager_of(requester)
    seen = {requester.lower()}
    while manager is not None and manager.email.lower() in seen:
        seen.add(manager.email.lower())
        manager = people.manager_of(manager.email)
    return [manager.email] if manager is not None else []


def _unique(emails: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for email in emails:
        seen.setdefault(email.lower(), email)
    return tuple(seen.values())


def _to(call: dict[str, Any]) -> list[str]:
    to = call.get("to")
    if isinstance(to, str):
        return [to]
    if isinstance(to, list | tuple):
        return [a for a in to if isinstance(a, str)]
    return []


def _outside(address: str, domain: str) -> bool:
    return address.strip().lower().rpartition("@")[2] != domain


def _problem(error: ValidationError, data: dict[str, Any]) -> str:
    """The first problem of a policy file, located as a person would look for it."""
    first = error.errors(include_url=False)[0]
    loc = list(first["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "rule" and isinstance(loc[1], int):
        rules = data.get("rule")
        entry = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"rule {loc[1] + 1}" + (f" ({name})" if isinstance(name, str) else "")
        loc = loc[2:]
    field = str(loc[0]) if loc else ""
    message = first["msg"].removeprefix("Value error, ")
    return ": ".join(part for part in (where, field, message) if part)
