"""The demo world generator: every system's rows from a seed and a day, and nothing else.

Same ``seed`` and ``today`` give identical rows. Each system draws from its own
``Random(f"{seed}:{system}")``, so changing one generator does not reshuffle the others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from random import Random
from typing import Final

from connectors.demo.companies import Company, Rows, build_companies
from connectors.demo.gen_comms import calendar_rows, mail_rows, marketing_rows
from connectors.demo.gen_crm import crm_rows
from connectors.demo.gen_service import billing_rows, contract_rows, support_rows, usage_rows
from connectors.demo.story import story_rows
from connectors.demo.story_injections import injection_rows
from connectors.demo.story_webinar import webinar_rows

Generator = Callable[[tuple[Company, ...], Random, date], Rows]

_GENERATORS: Final[tuple[tuple[str, Generator], ...]] = (
    ("crm", crm_rows),
    ("email", mail_rows),
    ("calendar", calendar_rows),
    ("support", support_rows),
    ("contracts", contract_rows),
    ("usage", usage_rows),
    ("billing", billing_rows),
    ("marketing", marketing_rows),
    ("story", story_rows),
    ("webinar", webinar_rows),
    ("injections", injection_rows),
)


def generate_world(seed: int, today: date) -> Rows:
    """All rows of all demo systems, keyed by table name, in a stable order."""
    companies = build_companies(seed)
    rows: Rows = {}
    for system, generate in _GENERATORS:
        for table, new in generate(companies, Random(f"{seed}:{system}"), today).items():
            rows.setdefault(table, []).extend(new)
    return rows
