"""``crosswire demo outbox``: what the demo mailbox has sent, oldest first."""

from __future__ import annotations

import json
from typing import Final

from bot.cli.audit import clip, local
from bot.settings import Settings
from connectors.demo.writes import read_outbox
from workflows.domain import OutboxMessage

COLUMNS: Final = ("SENT", "TO", "SUBJECT", "RUN", "IDEMPOTENCY KEY", "BODY")
SUBJECT_WIDTH: Final = 48
BODY_WIDTH: Final = 60


async def demo_outbox(settings: Settings, *, as_json: bool) -> int:
    """Print every message in the demo outbox (the newest last); a plain note when empty.

    Reads the demo world's file as it is, without creating or regenerating it."""
    messages = await read_outbox(settings.demo_database)
    if as_json:
        print(json.dumps([m.model_dump(mode="json") for m in messages], indent=2))
    elif not messages:
        print(
            "The demo mailbox has not sent anything yet. Emails appear here once a run sends "
            "them, e.g. after approving: crosswire ask \"follow up with last week's webinar "
            'attendees" --as dana.reyes@northwind.example'
        )
    else:
        print(_table(messages))
        count = "1 message" if len(messages) == 1 else f"{len(messages)} messages"
        print(f"\n{count}; bodies are cut to one line here, --json shows them whole.")
    return 0


def _table(messages: list[OutboxMessage]) -> str:
    """Messages as aligned columns under a header; times in this machine's zone, named."""
    rows = [
        (
            f"{local(m.sent_at):%Y-%m-%d %H:%M:%S %Z}",
            m.to,
            clip(m.subject, SUBJECT_WIDTH),
            m.run_id,
            m.idempotency_key,
            clip(m.body, BODY_WIDTH),
        )
        for m in messages
    ]
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in [COLUMNS, *rows]
    )
