"""Source of truth: the precedence file and who wins a field when systems disagree."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.library.precedence import Precedence, PrecedenceError, Reported

RENEWAL = {"crm": "2027-03-01", "contracts": "2027-03-14"}


def policy(text: str) -> Precedence:
    return Precedence.parse(text, source="test precedence")


def test_the_packaged_defaults_name_the_demo_fields() -> None:
    packaged = Precedence.load()
    assert packaged.fields["renewal_date"].order == ("contracts", "crm")
    assert packaged.fields["phone"].order == ("crm", "support")
    assert {"owner", "billing_email", "annual_value"} <= set(packaged.fields)


def test_the_first_listed_system_wins_and_the_other_dissents() -> None:
    won = Precedence.load().resolve("renewal_date", RENEWAL)
    assert won is not None
    assert (won.value, won.source) == ("2027-03-14", "contracts")
    assert won.dissent == (Reported(source="crm", value="2027-03-01"),)
    assert won.disputed


def test_a_file_that_lists_the_systems_the_other_way_flips_the_winner() -> None:
    flipped = policy('[fields.renewal_date]\norder = ["crm", "contracts"]\n')
    won = flipped.resolve("renewal_date", RENEWAL)
    assert won is not None and (won.source, won.dissent[0].source) == ("crm", "contracts")


def test_a_system_that_reported_nothing_is_passed_over() -> None:
    packaged = Precedence.load()
    won = packaged.resolve("renewal_date", {"contracts": None, "crm": "2027-03-01"})
    assert won is not None and (won.source, won.dissent) == ("crm", ())
    blank = packaged.resolve("phone", {"crm": "  ", "support": "+1 555 0100"})
    assert blank is not None and blank.source == "support"
    assert packaged.resolve("phone", {"crm": None, "support": ""}) is None
    assert packaged.resolve("phone", {}) is None


def test_systems_that_agree_leave_no_dissent() -> None:
    won = Precedence.load().resolve("phone", {"crm": "+1 555 0100", "support": "+1 555 0100 "})
    assert won is not None and won.source == "crm" and not won.disputed


def test_unlisted_systems_come_after_the_listed_ones_in_a_fixed_order() -> None:
    ranked = policy('[fields.owner]\norder = ["crm"]\n')
    reported = {"zendesk": "Ann", "billing": "Bob", "crm": "Cal"}
    won = ranked.resolve("owner", reported)
    assert won is not None and won.source == "crm"
    assert [d.source for d in won.dissent] == ["billing", "zendesk"]
    # A field the file does not name at all: the tie is broken by system name, every time.
    tie = ranked.resolve("industry", {"support": "Retail", "crm": "Logistics"})
    assert tie is not None and (tie.source, tie.dissent[0].source) == ("crm", "support")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fields = [", "not valid TOML"),
        ('[fields.phone]\norder = ["crm", "crm"]\n', "fields.phone: lists crm more than once"),
        ("[fields.phone]\norder = []\n", "fields.phone: lists no systems"),
        ('[fields.phone]\norder = ["crm", " "]\n', "names a system with an empty name"),
        ("[fields.phone]\n", "fields.phone.order: Field required"),
        ('[fields.phone]\norder = ["crm"]\nwinner = "crm"\n', "fields.phone.winner: Extra"),
        ('[field.phone]\norder = ["crm"]\n', "field: Extra inputs are not permitted"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(PrecedenceError) as refused:
        policy(text)
    assert str(refused.value).startswith("test precedence: ")
    assert problem in str(refused.value)


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(PrecedenceError, match=f"precedence file {missing}: cannot be read"):
        Precedence.load(missing)
