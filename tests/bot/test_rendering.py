"""Rendering answers for Slack: escaping, formatting characters, dates, and Block Kit's limits.

Over the composer's real output; every message is also checked with the stand-in's Block Kit
rules (what Slack would refuse), so "fits" means what Slack means.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import DividerBlock

from bot.render import kit, limits
from bot.render.blocks import (
    answer_rendering,
    final_progress,
    notice_rendering,
    progress_text,
)
from bot.render.mrkdwn import bold, code, escape, plain, prose
from bot.render.mrkdwn import date as slack_date
from bot.sandbox.block_kit_limits import BlockKitError, check_message
from workflows.answers import Briefing, Fact, Notice, Section
from workflows.domain import (
    AccountRef,
    AccountResolution,
    CrmAccount,
    CrmLookup,
    Deal,
    Ticket,
    Tickets,
)
from workflows.library import ComposeInput, compose_briefing
from workflows.library.briefing import briefing_plan
from workflows.ports import Progress, SystemProgress
from workflows.results import StepResult

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LITERAL = "<!date^00000000^{{_}}|{}>"  # how a formatting character is shown as itself
STAR, UNDER, TILDE, GRAVE = (LITERAL.format(c) for c in "*_~`")
ODD = AccountRef(account_id="a9", name="Lumen & Oak <Interiors>", domain="lumenoak.com")
LABELS = {"crm": "CRM", "email": "Mailbox", "support": "Support desk", "contracts": "Contracts"}
LABELS |= {"usage": "Product usage", "billing": "Billing"}


def ok(step_id: str, output: Any) -> StepResult:
    return StepResult(
        step_id=step_id,
        operation=f"{step_id}.x",
        system=step_id,
        status="ok",
        output=output.model_dump(mode="json"),
        started_at=NOW,
    )


def briefing_with(**outputs: StepResult) -> Briefing:
    found = AccountResolution(query="Lumen", status="found", account=ODD)
    results = {"account": ok("account", found), **outputs}
    composed = compose_briefing(
        ComposeInput(
            run_id="r1", plan=briefing_plan("Lumen"), results=results, system_labels=LABELS, now=NOW
        )
    )
    assert isinstance(composed, Briefing)
    return composed


def sent(blocks: list[dict[str, Any]], text: str = "t") -> list[dict[str, Any]]:
    """``blocks`` after Slack's checks (the stand-in's rules): raises if Slack would refuse."""
    check_message({"text": text, "blocks": blocks})
    return blocks


# ---------------------------------------------------------------- escaping


def test_the_three_characters_slack_reserves_are_escaped() -> None:
    assert escape("Lumen & Oak <Interiors> > x") == "Lumen &amp; Oak &lt;Interiors&gt; &gt; x"


def test_formatting_characters_in_data_show_as_themselves() -> None:
    assert plain("*Star* Corp") == f"{STAR}Star{STAR} Corp"
    assert plain("_draft_ ~old~ `x`") == f"{UNDER}draft{UNDER} {TILDE}old{TILDE} {GRAVE}x{GRAVE}"
    # Between two letters or digits a marker never formats: left alone, readable.
    assert plain("alex_morgan@acme.io snake_case 3*4") == "alex_morgan@acme.io snake_case 3*4"
    assert plain("a <@U123> &amp;") == "a &lt;@U123&gt; &amp;amp;"
    assert plain("two\nlines") == "two lines"


def test_our_own_formatting_stays_formatting() -> None:
    assert bold("Lumen & Oak") == "*Lumen &amp; Oak*"
    assert bold("*x*") == f"*{STAR}x{STAR}*"
    assert code("brief `me` & <you>") == "`brief \u02cbme\u02cb &amp; &lt;you&gt;`"
    assert prose("Try `brief me on Acme` & *more*\n> not a quote") == (
        f"Try `brief me on Acme` &amp; {STAR}more{STAR}\n\u00ad&gt; not a quote"
    )


def test_a_briefing_whose_data_has_special_characters_renders_them_exactly() -> None:
    deal = Deal(
        id="d1",
        name="Q3 <renewal> _draft_",
        amount=1000,
        stage="Proposal",
        close_date=date(2026, 12, 1),
    )
    crm = CrmAccount(
        account_id="a9",
        name=ODD.name,
        industry="Food & Beverage",
        owner_name="Pat *Star* O'Brien",
        owner_email="pat@northwind.example",
        lifecycle_stage="customer",
        open_deals=[deal],
    )
    ticket = Ticket(
        id="T1",
        subject="Export_fails for *all* users",
        priority="P2",
        status="open",
        opened_at=NOW - timedelta(days=2),
        requester_email="a@b.c",
    )
    briefing = briefing_with(
        crm=ok("crm", CrmLookup(account=crm)), support=ok("support", Tickets(tickets=[ticket]))
    )
    shown = answer_rendering(briefing)
    blocks = sent(kit.fit(shown.blocks), shown.text)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    texts = {text.split("\n")[0]: text for text in sections}

    assert blocks[0]["text"]["text"] == "Briefing: Lumen & Oak <Interiors>"  # plain text
    assert texts["*Account &amp; deals* · _from CRM_"].split("\n")[1:] == [
        f"• Owner: Pat {STAR}Star{STAR} O'Brien · Stage: customer · Industry: Food &amp; Beverage",
        f"• Open deal: Q3 &lt;renewal&gt; {UNDER}draft{UNDER}, $1,000, Proposal, "
        "closes Dec 1 (in 10 days)",
    ]
    assert texts["*Open support tickets* · _from Support desk_"].endswith(
        f"• P2 T1 “Export_fails for {STAR}all{STAR} users”: open, opened 2 days ago"
    )
    assert shown.text.startswith("Briefing on Lumen &amp; Oak &lt;Interiors&gt;: ")


# ---------------------------------------------------------------- time


def test_times_are_shown_in_each_readers_zone_with_a_utc_fallback() -> None:
    at = datetime(2026, 12, 1, 10, 26, tzinfo=UTC)
    assert slack_date(at) == "<!date^1796120760^{date_short_pretty} {time}|Tue, Dec 1, 10:26 UTC>"
    shown = answer_rendering(briefing_with())
    context = shown.blocks[1].to_dict()["elements"][0]["text"]
    assert context == (
        "lumenoak.com · <!date^1795262400^{date_short_pretty} {time}|Sat, Nov 21, 12:00 UTC>"
        " · run `r1`"
    )


# ---------------------------------------------------------------- limits


def test_a_cut_ends_with_an_ellipsis_and_never_inside_a_token() -> None:
    assert limits.cut("short", 10) == "short"
    assert limits.cut("abcdefghijkl", 10) == "abcdefghi…"
    assert limits.cut("Lumen &amp; Oak", 9) == "Lumen…"
    assert limits.cut(f"a {STAR} b", 8) == "a…"
    assert len(limits.cut("x" * 5000, 3000)) == 3000


def test_every_block_builder_keeps_to_slacks_limits() -> None:
    header = kit.header("h" * 500).to_dict()
    section = kit.section("s" * 5000).to_dict()
    context = kit.context(*["c"] * 14).to_dict()
    fields = kit.fields(["f" * 2500] * 12).to_dict()
    actions = kit.actions([kit.button("b" * 100, f"a{i}", "v") for i in range(30)]).to_dict()

    assert len(header["text"]["text"]) == 150 and header["text"]["text"].endswith("…")
    assert len(section["text"]["text"]) == 3000
    assert len(context["elements"]) == 10
    assert len(fields["fields"]) == 10 and {len(f["text"]) for f in fields["fields"]} == {2000}
    assert len(actions["elements"]) == 25
    assert {len(b["text"]["text"]) for b in actions["elements"]} == {75}
    # Together they are more block text than Slack takes in one message: the message is cut.
    with pytest.raises(BlockKitError):
        check_message({"blocks": [header, section, context, fields, actions]})
    blocks = [kit.header("h" * 500), kit.section("s" * 5000), kit.fields(["f" * 2500] * 12)]
    assert limits.total_text(sent(kit.fit(blocks))) <= limits.MESSAGE_TEXT_TOTAL


def test_a_message_with_too_many_blocks_says_how_many_it_left_out() -> None:
    blocks = sent(kit.fit([DividerBlock()] * 60))
    assert len(blocks) == 50
    assert blocks[-1]["elements"][0]["text"] == "…and 11 more not shown here."
    assert len(kit.surface([DividerBlock()] * 120)) == 100


def test_a_briefing_with_huge_sections_is_trimmed_from_its_longest_texts() -> None:
    facts = tuple(Fact(text="long " * 700, source="crm") for _ in range(2))
    sections = tuple(
        Section(key=k, title=k, source=k, status="ok", facts=facts if k != "usage" else ())
        for k in ("crm", "email", "support", "contracts", "usage", "billing")
    )
    huge = Briefing(run_id="r1", account=ODD, generated_at=NOW, sections=sections)
    shown = answer_rendering(huge)
    blocks = sent(kit.fit(shown.blocks), shown.text)

    assert limits.total_text(blocks) <= limits.MESSAGE_TEXT_TOTAL
    bodies = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(body.endswith("…") for body in bodies if "long" in body)
    assert any(body.startswith("*usage*") and not body.endswith("…") for body in bodies)


def test_the_stand_in_would_refuse_what_the_builders_avoid() -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    with pytest.raises(BlockKitError) as refusal:
        check_message({"blocks": [header]})
    assert refusal.value.problems == [
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]"
    ]


# ---------------------------------------------------------------- progress and notices


def progress(subject: str, *states: str) -> Progress:
    systems = tuple(
        SystemProgress(system=f"s{i}", label=f"S{i}", state=s)  # type: ignore[arg-type]
        for i, s in enumerate(states)
    )
    return Progress(subject=subject, systems=systems)


def test_a_long_subject_is_cut_inside_the_progress_line() -> None:
    text = progress_text(progress("x" * 3200, "waiting", "ok"))
    assert text == f"Gathering *{'x' * 119}…* from 2 systems… (1/2)"


def test_the_final_progress_text_fits_where_the_message_is() -> None:
    briefing = briefing_with()
    below = final_progress(briefing, in_thread=True).text
    top = final_progress(briefing, in_thread=False).text
    assert below.startswith("Briefing on *Lumen &amp; Oak &lt;Interiors&gt;* below: 0 of 6")
    assert top.startswith("Briefing on *Lumen &amp; Oak &lt;Interiors&gt;* is in the thread:")


def test_a_notice_keeps_its_examples_as_code_and_escapes_the_rest() -> None:
    notice = Notice(
        reason="unknown_customer",
        title="I couldn't find “A & *B*”" + "!" * 400,
        text="Try `brief me on Acme` or type <help>.",
        suggestions=("brief me on Lumen & Oak",),
    )
    shown = notice_rendering(notice)
    blocks = sent(kit.fit(shown.blocks), shown.text)
    title, body = blocks[0]["text"]["text"].split("\n")
    assert title.startswith(f"*I couldn't find “A &amp; {STAR}B{STAR}”!!!") and title.endswith("…*")
    assert body == "Try `brief me on Acme` or type &lt;help&gt;."
    assert blocks[1]["elements"][0]["text"] == "Try: `brief me on Lumen &amp; Oak`"
