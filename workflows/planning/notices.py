"""The offline planner's answers when there is nothing to run: short, polite, with examples
that work when typed as shown."""

from __future__ import annotations

from collections.abc import Sequence

from workflows.answers import Notice
from workflows.domain import AccountRef
from workflows.planning.help import (
    CANNOT_ACT,
    CAPABILITIES,
    EXAMPLES,
    HELP_TEXT,
    LANGUAGES,
    NEEDS_MODEL,
)


def brief_on(account: AccountRef) -> str:
    return f"brief me on {account.name}"


def _names(accounts: Sequence[AccountRef]) -> str:
    names = [a.name for a in accounts]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def help_notice() -> Notice:
    return Notice(reason="help", title="What I can do", text=HELP_TEXT, suggestions=EXAMPLES)


def thanks() -> Notice:
    return Notice(
        reason="help",
        title="You're welcome",
        text=f"Glad to help. {CAPABILITIES}",
        suggestions=EXAMPLES[:2],
    )


def not_understood(text: str, *, model_configured: bool) -> Notice:
    """Without a model, say that one would take questions beyond the built-in workflows.
    With one, this is the answer while the model is unavailable, and the note beside it
    says so."""
    needs = "" if model_configured else f" {NEEDS_MODEL}"
    return Notice(
        reason="help",
        title="I did not understand that",
        text=f"I can't do “{text}” yet. {HELP_TEXT}{needs}",
        suggestions=EXAMPLES,
    )


def cannot_act(verb: str, accounts: Sequence[AccountRef]) -> Notice:
    """An action request: never answered with a briefing, but offered one."""
    offer = f" I can brief you on {_names(accounts)} instead." if accounts else f" {CAPABILITIES}"
    return Notice(
        reason="unsupported",
        title="I can't do that yet",
        text=f"{CANNOT_ACT}{offer} {LANGUAGES}",
        suggestions=tuple(brief_on(a) for a in accounts) or EXAMPLES,
    )


def who_is_asking() -> Notice:
    """An action for someone (their prospects) asked with no one asking."""
    return Notice(
        reason="not_allowed",
        title="Who is asking?",
        text="I act for the person who asks, and I could not tell who that is.",
    )


def which_customer() -> Notice:
    return Notice(
        reason="unknown_customer",
        title="Which customer?",
        text="Tell me which customer to brief you on: a name, a domain, or a contact's name "
        f"or email, e.g. `{EXAMPLES[0]}`.",
        suggestions=EXAMPLES,
    )


def unknown_customer(subject: str, close: Sequence[AccountRef]) -> Notice:
    hint = (
        f" Did you mean {_names(close)}?"
        if close
        else " Which customer did you mean? A domain or a contact's email address works too."
    )
    return Notice(
        reason="unknown_customer",
        title=f"I couldn't find a customer called “{subject}”",
        text=f"No customer in the CRM or the other systems matches “{subject}”.{hint}",
        suggestions=tuple(brief_on(a) for a in close),
    )


def ambiguous(typed: str, accounts: Sequence[AccountRef]) -> Notice:
    return Notice(
        reason="ambiguous",
        title=f"“{typed}” matches several customers",
        text=f"Which one did you mean: {_names(accounts)}?",
        suggestions=tuple(brief_on(a) for a in accounts),
    )


def one_at_a_time(accounts: Sequence[AccountRef]) -> Notice:
    return Notice(
        reason="ambiguous",
        title="Which one first?",
        text=f"You named {_names(accounts).replace(' or ', ' and ')}. I brief on one customer "
        "at a time: which one first?",
        suggestions=tuple(brief_on(a) for a in accounts),
    )
