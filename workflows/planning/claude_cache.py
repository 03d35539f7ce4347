"""The plan cache: a repeated kind of objective reuses a validated plan, with no model call.

"brief me on Acme" and "brief me on Pinecrest" are one kind: the key is the objective with
each customer the directory found replaced by a placeholder (and the catalog's fingerprint, so
a changed catalog plans afresh). The stored value is the validated plan as a template: the
customer's typed words, name, domain and account id, and the requester's email and name,
become placeholders, filled in again for the next objective of that kind.

What is not cached: an objective whose words fit several customers (it needs a question), and
a plan that still holds a date (it was planned for one day) or a customer's or requester's
value the template could not replace (it was planned for one of them). The cache is in
memory, per process, least recently used first out.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from workflows.catalog import Catalog
from workflows.domain import CustomerMention
from workflows.models import Principal
from workflows.plan import Plan

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SPACES = re.compile(r"\s+")
MIN_LEFTOVER = 4


def catalog_fingerprint(catalog: Catalog) -> str:
    """A short hash of what a planner sees of the catalog."""
    described = sorted((op.describe() for op in catalog), key=lambda d: str(d["name"]))
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def objective_shape(text: str, mentions: Sequence[CustomerMention]) -> str | None:
    """The objective with customers as ``{customer_N}``, lower case, spaces collapsed; None
    when one span fits several customers."""
    spans = sorted({(m.start, m.end) for m in mentions})
    if len(spans) != len(mentions):
        return None
    shaped, last = [], 0
    for number, (start, end) in enumerate(spans, 1):
        shaped += [text[last:start], f"{{customer_{number}}}"]
        last = end
    shaped.append(text[last:])
    return SPACES.sub(" ", "".join(shaped)).strip().lower()


def _values(mentions: Sequence[CustomerMention], requester: Principal | None) -> dict[str, str]:
    """Placeholder -> value, for the customers (in text order) and the requester."""
    values: dict[str, str] = {}
    for number, mention in enumerate(sorted(mentions, key=lambda m: m.start), 1):
        account = mention.account
        # The typed words first: where they equal the name, the plan keeps what was typed.
        values[f"customer_{number}.typed"] = mention.text
        values[f"customer_{number}.account_id"] = account.account_id
        values[f"customer_{number}.name"] = account.name
        values[f"customer_{number}.domain"] = account.domain
    if requester is not None:
        values["requester.email"] = requester.email
        values["requester.name"] = requester.name
    return {k: v for k, v in values.items() if v}


def _walk(value: Any, change: Any) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: _walk(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, change) for v in value]
    return value


def make_template(plan: Plan, values: dict[str, str]) -> dict[str, Any] | None:
    """The plan with every value replaced by its ``{{placeholder}}``, or None when it cannot
    be reused (a date, or a value left in it)."""
    # Longest first, so "Acme Corporation" is replaced before "Acme".
    ordered = sorted(values.items(), key=lambda kv: len(kv[1]), reverse=True)
    patterns = [(re.compile(rf"(?<!\w){re.escape(v)}(?!\w)", re.I), k) for k, v in ordered]

    def templated(text: str) -> str:
        for pattern, name in patterns:
            text = pattern.sub(f"{{{{{name}}}}}", text)
        return text

    template = _walk(plan.model_dump(mode="json"), templated)
    flat = json.dumps(template).lower()
    # A value left inside a longer word would carry one customer into another's plan.
    left = [v for v in values.values() if len(v) >= MIN_LEFTOVER and v.lower() in flat]
    if DATE.search(flat) or left:
        return None
    return template if isinstance(template, dict) else None


def fill_template(template: dict[str, Any], values: dict[str, str]) -> Plan | None:
    """The plan for these values, or None when the template needs a value they lack."""
    placeholder = re.compile(r"\{\{([a-z0-9_.]+)\}\}")
    missing: list[str] = []

    def filled(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                missing.append(name)
                return match.group(0)
            return values[name]

        return placeholder.sub(one, text)

    plan = Plan.model_validate(_walk(template, filled))
    return None if missing else plan


class PlanCache:
    """Validated plan templates by objective shape, in memory, at most ``size`` of them."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._templates: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def key(self, catalog: Catalog, text: str, mentions: Sequence[CustomerMention]) -> str | None:
        """The cache key of an objective, or None when it must not be cached."""
        shape = objective_shape(text, mentions)
        return None if shape is None else f"{catalog_fingerprint(catalog)}:{shape}"

    def get(
        self, key: str, mentions: Sequence[CustomerMention], requester: Principal | None
    ) -> Plan | None:
        template = self._templates.get(key)
        if template is None:
            return None
        self._templates.move_to_end(key)
        return fill_template(template, _values(mentions, requester))

    def put(
        self,
        key: str,
        plan: Plan,
        mentions: Sequence[CustomerMention],
        requester: Principal | None,
    ) -> bool:
        """Store the plan's template; False when the plan cannot be reused."""
        template = make_template(plan, _values(mentions, requester))
        if template is None:
            return False
        self._templates[key] = template
        self._templates.move_to_end(key)
        while len(self._templates) > self._size:
            self._templates.popitem(last=False)
        return True

    def forget(self, key: str) -> None:
        self._templates.pop(key, None)

    def __len__(self) -> int:
        return len(self._templates)
