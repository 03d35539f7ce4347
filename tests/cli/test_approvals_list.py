"""``crosswire approvals list`` as a user runs it: what waits first, then what was decided,
narrowed with ``--as``; JSON for machines; an empty list said plainly."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.cli.processes import crosswire
from tests.workflows.approvals.conftest import START
from tests.workflows.approvals.org import DANA, MARCUS, RACHEL, VICTOR, an_approval
from workflows.approvals.store import ApprovalStore
from workflows.audit import AuditStore

UTC_ZONE = {"TZ": "UTC"}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


async def seed(state: Path) -> list[str]:
    """Dana's request waiting for Rachel, Marcus's approved by Rachel, one expired."""
    audit = await AuditStore.open(f"sqlite+aiosqlite:///{state / 'crosswire.db'}")
    store = ApprovalStore(audit.engine)
    waiting = await store.create(an_approval(created=START))
    decided = await store.create(
        an_approval(created=START + timedelta(minutes=1), run_id="run-2", requester=MARCUS)
    )
    await store.decide(
        decided.id,
        status="approved",
        by_email=RACHEL,
        by_name="Rachel Kim",
        at=START + timedelta(minutes=2),
        reason=None,
        approved=decided.items,
        approved_fingerprint=decided.fingerprint,
    )
    old = await store.create(
        an_approval(created=START - timedelta(days=2), run_id="run-0", ttl=timedelta(hours=1))
    )
    await store.expire(old.id, at=START - timedelta(days=1))
    await audit.close()
    return [waiting.id, decided.id, old.id]


async def test_the_list_shows_what_waits_first(state: Path) -> None:
    waiting, decided, old = await seed(state)
    done = crosswire(state, "approvals", "list", env=UTC_ZONE)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:4] == ["APPROVAL", "STATUS", "TITLE", "REQUESTER"]
    assert [r.split()[0] for r in rows] == [waiting, decided, old]
    assert "pending" in rows[0] and "Dana Reyes" in rows[0] and "Rachel Kim" in rows[0]
    assert rows[0].endswith("expires 2026-11-24 14:00 UTC")
    assert rows[1].endswith("approved by Rachel Kim 2026-11-23 14:02 UTC")
    assert rows[2].endswith("expired 2026-11-22 14:00 UTC")


async def test_as_narrows_to_what_waits_for_someone_and_what_they_asked(state: Path) -> None:
    waiting, decided, _ = await seed(state)
    done = crosswire(state, "approvals", "list", "--as", RACHEL, "--json", env=UTC_ZONE)
    assert done.returncode == 0, done.stderr
    [shown] = json.loads(done.stdout)
    assert shown["id"] == waiting and shown["approver_names"] == ["Rachel Kim"]
    assert shown["status"] == "pending" and shown["requester_email"] == DANA
    marcus = json.loads(crosswire(state, "approvals", "list", "--as", MARCUS, "--json").stdout)
    assert [(a["id"], a["decided_by_name"]) for a in marcus] == [(decided, "Rachel Kim")]
    victor = crosswire(state, "approvals", "list", "--as", VICTOR)
    assert victor.stdout.strip() == (
        "Nothing waits for Victor Alvarez's approval, and Victor Alvarez has asked for none."
    )


def test_an_empty_list_and_an_unknown_person_are_said_plainly(state: Path) -> None:
    done = crosswire(state, "approvals", "list")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "No approvals yet: nothing has waited for a decision."
    assert json.loads(crosswire(state, "approvals", "list", "--json").stdout) == []
    unknown = crosswire(state, "approvals", "list", "--as", "nobody@nowhere.example")
    assert unknown.returncode == 1
    assert "Traceback" not in unknown.stderr
    assert unknown.stderr.strip() == (
        "crosswire: nobody in the company directory has the email 'nobody@nowhere.example'."
    )
