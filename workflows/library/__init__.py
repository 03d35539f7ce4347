"""The built-in workflows: each is a plan builder plus a composer that turns step results
into an answer. :data:`COMPOSERS` maps a plan's ``workflow`` name to its composer."""

from collections.abc import Mapping

from workflows.library.briefing import compose_briefing
from workflows.library.compose import ComposeInput, Composer

COMPOSERS: Mapping[str, Composer] = {"briefing": compose_briefing}

__all__ = ["COMPOSERS", "ComposeInput", "Composer", "compose_briefing"]
