"""Reading the writer's reply and pricing its calls: what a statement may cite, the errors
sent back to the model, and the money a call cost (unknown for a model with no price)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from workflows.planning.claude_reply import Reply
from workflows.planning.pricing import cost_usd, dollars, price_of, total_usd
from workflows.planning.synthesis_reply import Sources, read_answer, repair_turn
from workflows.planning.usage import ModelCall, SynthesisUsage
from workflows.results import StepResult

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SOURCES = Sources(
    results={
        "crm": StepResult(
            step_id="crm", operation="crm.get_account", system="crm", status="ok", started_at=AT
        ),
        "billing": StepResult(
            step_id="billing",
            operation="billing.list_invoices",
            system="billing",
            status="failed",
            error="billing timed out",
            started_at=AT,
        ),
    },
    labels={"crm": "CRM", "billing": "Billing"},
    links={"crm": "https://crm.northwind.example"},
)


def reply(headline: Any, statements: Any) -> Reply:
    block = {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "submit_answer",
        "input": {"headline": headline, "statements": statements},
    }
    return Reply.model_validate({"content": [block], "stop_reason": "tool_use"})


def test_a_statement_citing_a_step_that_ran_becomes_a_citation_with_its_link() -> None:
    drafted = read_answer(
        reply("Acme", [{"text": "Owner is Dana.", "form": "sentence", "steps": ["crm", "crm"]}]),
        "claude-sonnet-4-5",
        SOURCES,
    )
    assert drafted.synthesis is not None
    [statement] = drafted.synthesis.statements
    [cite] = statement.cites
    assert (cite.step, cite.source, cite.url) == ("crm", "CRM", "https://crm.northwind.example")


def test_citations_of_a_failed_or_unknown_step_and_bad_forms_are_named_for_the_model() -> None:
    statements = [
        {"text": "Two invoices overdue.", "form": "bullet", "steps": ["billing"]},
        {"text": "Renews in May.", "form": "warning", "steps": ["renewals"]},
        {"text": "Fine.", "form": "poem", "steps": []},
    ]
    drafted = read_answer(reply("", statements), "m", SOURCES)
    assert drafted.kind == "invalid" and drafted.synthesis is None
    assert "`headline` must be a non-empty string" in drafted.errors
    assert "statement 1 cites 'billing', which has no output (it failed)" in drafted.errors
    assert "statement 2 cites 'renewals', which is not a step of this run" in drafted.errors
    assert "statement 3 has form 'poem'" in drafted.errors
    assert "statement 3 cites no step" in drafted.errors
    turn = repair_turn(reply("", statements), drafted, SOURCES)
    [result] = turn["content"]
    assert result["is_error"] is True and "The steps you may cite: crm." in result["content"]


def test_a_reply_without_the_answer_tool_is_asked_to_use_it() -> None:
    plain = Reply.model_validate({"content": [{"type": "text", "text": "Hi"}]})
    drafted = read_answer(plain, "m", SOURCES)
    assert drafted.kind == "none" and "submit_answer" in drafted.errors


def test_a_call_costs_its_tokens_at_the_models_prices() -> None:
    call = ModelCall.of(
        "claude-sonnet-4-5-20250929",
        {
            "input_tokens": 1_000_000,
            "output_tokens": 100_000,
            "cache_creation_input_tokens": 200_000,
            "cache_read_input_tokens": 1_000_000,
        },
        "tool_use",
        "answer",
    )
    # $3 in, $1.50 out, $0.75 to write the cache, $0.30 to read it.
    assert call.cost_usd == Decimal("5.55")
    assert dollars(call.cost_usd) == "$5.55" and dollars(Decimal("0.0123")) == "$0.0123"
    assert price_of("claude-haiku-4-5") is not None


def test_a_model_with_no_price_costs_unknown_never_zero() -> None:
    unknown = ModelCall.of("claude-test", {"input_tokens": 10}, None, "answer")
    known = ModelCall.of("claude-opus-4-5", {"input_tokens": 10}, None, "answer")
    assert unknown.cost_usd is None and cost_usd("gpt-x", unknown) is None
    assert total_usd([known.cost_usd, unknown.cost_usd]) is None
    assert dollars(None) == "unknown"
    usage = SynthesisUsage(calls=(known, unknown), written_by="model")
    assert usage.cost_usd is None and usage.total("input_tokens") == 20
    assert SynthesisUsage(calls=(known,), written_by="model").cost_usd == Decimal("0.00005")
