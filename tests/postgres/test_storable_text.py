"""Text PostgreSQL refuses (U+0000) or UTF-8 cannot encode (lone surrogates) is made storable
as the inbox writes it (its JSON serializer), and the one-JSON-pass check finds whatever the
walk of every string would, on PostgreSQL and on SQLite alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from workflows.audit import AuditStore
from workflows.clock import ManualClock
from workflows.inbox import Inbox
from workflows.sanitise import scrubbed, storable_json

CLOCK = ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
ASKED: dict[str, Any] = {
    "text": "brief me on\x00 Acme \ud83d, 😀 ünïcode",
    "user\x00": ["U0DANA", {"note": "a\udc00b"}],
    "emoji": "😀",
    "literal": "a backslash and u0000: \\u0000",
}
STORED: dict[str, Any] = {
    "text": "brief me on Acme \ufffd, 😀 ünïcode",
    "user": ["U0DANA", {"note": "a\ufffdb"}],
    "emoji": "😀",
    "literal": "a backslash and u0000: \\u0000",
}


async def inbox_on(url: str) -> Inbox:
    audit = await AuditStore.open(url, clock=CLOCK)  # creates the tables
    await audit.close()
    return Inbox.on(url, "local", CLOCK)


@pytest.mark.postgres
async def test_an_ask_with_unstorable_text_is_recorded_on_postgres(postgres_url: str) -> None:
    await record_and_read_back(await inbox_on(postgres_url))


async def test_an_ask_with_unstorable_text_is_recorded_on_sqlite(tmp_path: Path) -> None:
    await record_and_read_back(await inbox_on(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"))


async def record_and_read_back(inbox: Inbox) -> None:
    try:
        receipt = await inbox.receive("slack-Ev0\x00NUL", ASKED)
        (entry,) = await inbox.backlog()
    finally:
        await inbox.close()
    assert receipt.state == "new"
    assert (entry.key, entry.payload) == ("slack-Ev0NUL", STORED)


@pytest.mark.parametrize(
    "value",
    [
        ASKED,
        STORED,
        {"clean": ["text", 1, 2.5, None, True], "when": CLOCK.now()},
        {"at": CLOCK.now(), "why": "no\x00pe"},
        {("tuple", "key\x00"): "json cannot hold this key"},
        ("a", ["b\ud800"]),
        "plain\x00",
        {"a set is left as it is": {"x\x00"}},
    ],
)
def test_scrubbing_after_the_json_check_matches_the_walk_of_every_string(value: Any) -> None:
    assert scrubbed(value) == walked(value)


def test_clean_data_comes_back_as_it_is() -> None:
    clean = {k: v for k, v in STORED.items() if k != "literal"}  # (that one is a false alarm)
    assert scrubbed(clean) is clean


def test_the_json_serializer_writes_the_scrubbed_value() -> None:
    assert json.loads(storable_json(ASKED)) == STORED
    assert json.loads(storable_json(STORED)) == STORED


def walked(value: Any) -> Any:
    """Every string made storable by a plain walk: what scrubbing must equal."""
    if isinstance(value, str):
        return "".join(
            "" if c == "\x00" else "\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value
        )
    if isinstance(value, dict):
        return {walked(k): walked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [walked(v) for v in value]
    if isinstance(value, tuple):
        return tuple(walked(v) for v in value)
    return value
