"""The approval story in the sandbox, tried as a new user would (as the README tells it):
``crosswire serve`` with no Slack settings, lines typed at its chat (Run on the plan's preview,
then Rachel Kim's approval), and the demo mailbox read back with ``crosswire demo outbox``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.bot.test_sandbox_chat import serve_chat


def test_the_approval_story_as_a_new_user_tries_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    serve = serve_chat(state)
    script = [
        "follow up with prospects who attended last week's webinar but haven't booked a demo",
        "/press 1",  # Run, on the plan shown in Dana's thread
        "/press 3",  # Dana may not: the approval is in Rachel Kim's DM
        "/as rachel.kim@northwind.example",
        "/press 3",  # Approve all
        "/press 3",  # the decided approval has no buttons left
        "quit",
    ]
    out, err = serve.communicate("".join(line + "\n" for line in script), timeout=120)
    assert serve.returncode == 0, err
    assert "[1] Run  [2] Cancel" in out
    assert "needs approval by Rachel Kim" in out and "Started by Dana Reyes" in out
    assert "crosswire (DM to Rachel Kim)> " in out
    assert "[3] Approve all  [4] Review one by one  [5] Edit  [6] Reject  [7] Escalate" in out
    assert "only they can press it (/as rachel.kim@northwind.example to be them)" in out
    assert "you (Rachel Kim)> " in out and "Approved by Rachel Kim" in out
    assert "button 3 is no longer there" in out
    outbox = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "outbox", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "CROSSWIRE_STATE_DIR": str(state), "CROSSWIRE_SCHEDULER": "off"},
        cwd=state.parent,
        timeout=60,
        check=True,
    )
    sent = json.loads(outbox.stdout)
    assert len(sent) >= 8
    assert len({m["idempotency_key"] for m in sent}) == len({m["to"] for m in sent}) == len(sent)
