"""The built-in workflows: each is a plan builder plus a composer that turns step results
into an answer. :data:`COMPOSERS` maps a plan's ``workflow`` name to its composer."""

from collections.abc import Mapping
from functools import partial

from workflows.library.actions import compose_action_report
from workflows.library.answer import WORKFLOW as ANSWER_WORKFLOW
from workflows.library.answer import compose_free_form
from workflows.library.briefing import compose_briefing
from workflows.library.compose import ComposeInput, Composer
from workflows.library.digest import compose_digest

COMPOSERS: Mapping[str, Composer] = {
    ANSWER_WORKFLOW: compose_free_form,
    "briefing": compose_briefing,
    "digest": compose_digest,
    "follow_up": partial(compose_action_report, title="Follow-ups sent"),
}

__all__ = ["COMPOSERS", "ComposeInput", "Composer", "compose_action_report", "compose_briefing"]
