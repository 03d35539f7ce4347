"""Telling customer meetings from the rest, and whose they are, with the demo world's real
identity directory (and one built without an org chart)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.identity import DirectorySource, IdentityDirectory
from workflows.catalog import Catalog
from workflows.domain import AccountRef, Employee, Meeting
from workflows.library.digest_meetings import (
    CustomerMeetingsInput,
    MeetingDirectory,
    customer_meetings,
)

AT = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
DANA = "dana.reyes@northwind.example"
MARCUS = "marcus.chen@northwind.example"
RACHEL = "rachel.kim@northwind.example"
VICTOR = "victor.alvarez@northwind.example"
BEN = "ben.carter@northwind.example"


def meeting(n: int, organizer: str, *attendees: str) -> Meeting:
    start = AT + timedelta(hours=n)
    return Meeting(
        id=f"m{n}",
        title=f"Meeting {n}",
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        organizer_email=organizer,
        attendees=[organizer, *attendees],
    )


DAY = [
    meeting(1, DANA, "alex.morgan@acme.io", "grace.liu@northwind.example"),
    meeting(2, DANA, RACHEL),  # internal only
    meeting(3, MARCUS, "someone@unknown-prospect.example"),
    meeting(4, BEN, "acme@gmail.com"),  # looks like Acme by name, not by domain
    meeting(5, "jamie.ortiz@acme.io", "ALEX.MORGAN@ACME.IO", DANA.upper()),
]


def run(directory: MeetingDirectory, who: str, scope: str = "me") -> dict[str, str | None]:
    inp = CustomerMeetingsInput.model_validate(
        {"meetings": DAY, "requester_email": who, "scope": scope}
    )
    found = customer_meetings(inp, directory)
    return {m.meeting.id: m.account.name if m.account else None for m in found.meetings}


def test_only_meetings_with_someone_from_outside_are_customer_meetings(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    directory, _ = world
    inp = CustomerMeetingsInput(meetings=DAY, requester_email=DANA)
    found = customer_meetings(inp, directory)

    assert [m.meeting.id for m in found.meetings] == ["m1", "m5"]
    first = found.meetings[0]
    assert (first.ours, first.theirs) == (["Dana Reyes", "Grace Liu"], ["alex.morgan@acme.io"])
    assert first.owner_name == "Dana Reyes"
    assert [a.name for a in found.accounts] == ["Acme Corporation"]  # once for both
    assert found.whose == "Dana Reyes"


def test_a_guest_is_matched_by_domain_only(world: tuple[IdentityDirectory, Catalog]) -> None:
    directory, _ = world

    assert run(directory, MARCUS) == {"m3": None}
    assert run(directory, BEN) == {"m4": None}


def test_the_team_reaches_down_the_org_chart(world: tuple[IdentityDirectory, Catalog]) -> None:
    directory, _ = world

    assert run(directory, RACHEL) == {}
    assert list(run(directory, RACHEL, "team")) == ["m1", "m3", "m5"]
    # Rachel's team reports to Victor through her, and Ben directly.
    assert list(run(directory, VICTOR, "team")) == ["m1", "m3", "m4", "m5"]
    assert list(run(directory, MARCUS, "team")) == ["m3"]  # manages nobody
    assert list(run(directory, BEN, "team")) == ["m4"]  # not in sales, manages nobody


def test_without_an_org_chart_the_team_is_every_seller() -> None:
    staff = [
        Employee(email=DANA, name="Dana Reyes", title="AE", roles=["sales"]),
        Employee(email=MARCUS, name="Marcus Chen", title="AE", roles=["sales"]),
        Employee(email=BEN, name="Ben Carter", title="Marketing", roles=["marketing"]),
        Employee(email=RACHEL, name="Rachel Kim", title="Manager", roles=["sales"]),
    ]
    acme = AccountRef(account_id="acct-0001", name="Acme Corporation", domain="acme.io")
    flat = IdentityDirectory(
        DirectorySource(accounts=[acme], records=[], domain_systems={}, employees=staff)
    )

    assert list(run(flat, RACHEL, "team")) == ["m1", "m3", "m5"]  # Ben's is no seller's
    assert run(flat, RACHEL, "team")["m1"] == "Acme Corporation"
