"""The digest as Slack shows it: a section per meeting with its three lines and a "Full
briefing" button, a friendly line on a day without customer meetings, missing systems named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.render import kit, limits
from bot.render.digest import FULL_BRIEFING, digest_blocks, digest_fallback, digest_text
from tests.harness import block_texts
from tests.workflows.digest_env import digest_env
from workflows.answers import Digest, DigestLine, DigestMeeting
from workflows.domain import AccountRef

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
STAR = AccountRef(account_id="acct-0042", name="*Star* Corp", domain="star.example")


def meeting(n: int, account: AccountRef | None = STAR, **lines: DigestLine) -> DigestMeeting:
    start = NOON + timedelta(hours=1 + n)
    default = {
        "deal": DigestLine(key="deal", text="Proposal · $10,000 · Star — Pilot", status="ok"),
        "concern": DigestLine(
            key="concern", text="Usage is down 35%", status="ok", severity="high"
        ),
        "owner": DigestLine(key="owner", text="Dana Reyes, attending", status="ok"),
    }
    default.update(lines)
    return DigestMeeting(
        meeting_id=f"evt-{n}",
        title=f"*Star* Corp — sync {n}",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        account=account,
        ours=("Dana Reyes",),
        theirs=("pat@star.example",),
        lines=tuple(default.values()),
    )


def digest(*meetings: DigestMeeting, scope: str = "me") -> Digest:
    return Digest.model_validate(
        {
            "run_id": "run-1",
            "scope": scope,
            "whose": "Dana Reyes" if scope == "me" else "Rachel Kim's team",
            "day": date(2026, 12, 1),
            "tz": "America/New_York",
            "generated_at": NOON,
            "meetings": meetings,
        }
    )


async def test_a_real_digest_shows_each_meeting_in_three_lines_with_its_button(
    tmp_path: Path,
) -> None:
    async with digest_env(tmp_path, NOON) as env:
        answer = await env.ask("my meetings today")
    assert isinstance(answer, Digest)
    blocks = kit.fit(digest_blocks(answer))

    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Your customer meetings today"},
    }
    sections = [b for b in blocks if b.get("accessory")]
    assert len(sections) == len(answer.meetings) == 6
    acme = next(s for s in sections if "Acme Corporation" in s["text"]["text"])
    assert acme["accessory"]["action_id"] == FULL_BRIEFING
    assert acme["accessory"]["value"] == "acct-0001"
    assert acme["accessory"]["text"]["text"] == "Full briefing"
    text = acme["text"]["text"].split("\n")
    stamp = int(datetime(2026, 12, 1, 15, tzinfo=UTC).timestamp())
    assert text[0].startswith(f"*<!date^{stamp}^{{time}}|15:00>–")
    assert text[1].startswith(":moneybag: Negotiation · $")
    assert text[2].startswith(":red_circle: P1 ticket")
    assert text[3] == ":bust_in_silhouette: Dana Reyes, attending with Grace Liu"
    assert len(text) == 4
    assert digest_fallback(answer) == "6 customer meetings today (Dana Reyes)."


def test_a_day_without_customer_meetings_says_so_kindly() -> None:
    texts = block_texts(kit.fit(digest_blocks(digest())))

    assert "*No customer meetings today.*" in texts
    assert "you have no meeting with anyone from outside the company" in texts
    assert digest_fallback(digest()) == "No customer meetings today (Dana Reyes)."
    assert "accessory" not in texts
    team = block_texts(kit.fit(digest_blocks(digest(scope="team"))))
    assert "Customer meetings today: Rachel Kim's team" in team
    assert "Rachel Kim's team has no meeting" in team


def test_a_system_down_is_named_on_its_line_and_below() -> None:
    down = DigestLine(
        key="deal",
        text="Stage and amount missing: CRM could not be reached",
        status="unavailable",
        missing=("CRM",),
    )
    partial = DigestLine(
        key="concern",
        text="Nothing to watch out for",
        status="empty",
        missing=("CRM", "Billing"),
    )
    shown = digest(meeting(1, deal=down, concern=partial))
    texts = block_texts(kit.fit(digest_blocks(shown)))

    assert ":x: Stage and amount missing: CRM could not be reached" in texts
    assert ":white_check_mark: Nothing to watch out for _(CRM, Billing did not answer)_" in texts
    assert ":x: Unavailable for some meetings: CRM, Billing" in texts
    assert digest_fallback(shown).endswith("; unavailable: CRM, Billing.")


def test_a_guest_from_no_known_customer_gets_no_button() -> None:
    blocks = kit.fit(digest_blocks(digest(meeting(1, account=None))))

    assert not any(b.get("accessory") for b in blocks)


def test_names_are_shown_as_typed_never_as_formatting() -> None:
    blocks = kit.fit(digest_blocks(digest(meeting(1))))
    head = blocks[2]["text"]["text"].split("\n")[0]

    assert "*Star*" not in head  # the stars are shown, not bold
    assert "<!date^00000000^{_}|*>Star<!date^00000000^{_}|*>" in head


def test_a_very_busy_day_stays_within_slack_s_limits() -> None:
    blocks = kit.fit(digest_blocks(digest(*(meeting(n) for n in range(80)))))

    assert len(blocks) <= limits.MESSAGE_BLOCKS
    assert blocks[-1]["type"] == "context" and "more not shown here" in block_texts(blocks[-1])


def test_the_terminal_shows_the_same_three_lines() -> None:
    text = digest_text(digest(meeting(1)))

    assert text.splitlines()[0] == "Your customer meetings today (Tue 1 Dec, America/New_York)"
    assert "09:00-09:30  *Star* Corp — sync 1" in text
    assert "  - Usage is down 35%" in text
    assert "  full briefing: brief me on *Star* Corp" in text
