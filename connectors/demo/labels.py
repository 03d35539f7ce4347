"""Names of the demo systems: as labels in answers, and as spoken in error messages."""

from __future__ import annotations

from typing import Final

DEMO_SYSTEM_LABELS: Final[dict[str, str]] = {
    "directory": "Directory",
    "crm": "CRM",
    "email": "Mailbox",
    "calendar": "Calendar",
    "support": "Support desk",
    "contracts": "Contracts",
    "usage": "Product usage",
    "billing": "Billing",
    "marketing": "Marketing",
    "scheduling": "Scheduling",
    "tasks": "Tasks",
}

SPOKEN: Final[dict[str, str]] = {
    "crm": "the CRM",
    "email": "the mailbox",
    "calendar": "the calendar",
    "support": "the support desk",
    "contracts": "the contracts system",
    "usage": "the product usage service",
    "billing": "the billing system",
    "marketing": "the marketing platform",
    "scheduling": "the scheduling tool",
    "tasks": "the task tracker",
}
"""Systems that behaviour injection can slow down or break (the directory is an index)."""
