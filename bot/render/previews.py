"""Block Kit for a plan preview: what a plan that writes will do, shown to its requester first.

One numbered line per step, in plain words, with the system it reads or changes; a write
the policy expects to wait says for whom and why. While the preview waits it ends with **Run**
and **Cancel**, each carrying the preview id only; once pressed or expired the same steps stay
and the buttons give way to one line saying what happened, by whom and when.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.models.blocks import Block, ButtonElement

from bot.render import kit, limits
from bot.render.blocks import Rendering
from bot.render.mrkdwn import bold, date, plain
from workflows.approvals.models import Approval, ApprovalItem

RUN = "preview.run"
CANCEL = "preview.cancel"
ACTIONS = (RUN, CANCEL)
"""The buttons' action ids."""


def preview_rendering(preview: Approval, names: Callable[[str], str]) -> Rendering:
    """The preview as its requester sees it; ``names`` names an approver by email."""
    intro = (
        f"Before I start: this plan changes things in your systems. "
        f"Nothing is done until you press {bold('Run')}"
    )
    intro += f" (until {date(preview.expires_at)})." if preview.open else "."
    blocks: list[Block] = [kit.header(preview.title), kit.section(intro)]
    blocks += [kit.section(step_text(item, names)) for item in preview.items]
    if preview.open:
        blocks.append(kit.actions(preview_buttons(preview)))
    else:
        blocks.append(kit.context(outcome_line(preview)))
    return Rendering(_fallback(preview), blocks)


def preview_buttons(preview: Approval) -> list[ButtonElement]:
    run = kit.button("Run", RUN, preview.id)
    run.style = "primary"
    cancel = kit.button("Cancel", CANCEL, preview.id)
    cancel.style = "danger"
    return [run, cancel]


def step_text(item: ApprovalItem, names: Callable[[str], str]) -> str:
    """``2. *Follow-up emails*, in Email: needs approval by Rachel Kim (why)``."""
    args = item.args
    system = plain(str(args.get("system") or ""))
    where = f", in {system}" if args.get("write") else f", from {system}"
    line = f"{item.index + 1}. {bold(limits.cut(item.summary, limits.HEADER_TEXT))}{where}"
    if args.get("approval"):
        approvers = [names(str(a)) for a in args.get("approvers") or []]
        by = " or ".join(approvers) if approvers else "nobody in the directory"
        why = f" ({plain(item.why.rstrip('.'))})" if item.why else ""
        line += f"\n      :lock: needs approval by {plain(by)}{why}"
    elif args.get("write"):
        line += " (no approval needed)"
    return line


def outcome_line(preview: Approval) -> str:
    """``Started by Dana Reyes at …``, ``Cancelled by …; nothing was done``, or expired."""
    by = plain(preview.decided_by_name or preview.decided_by or "someone")
    at = f" at {date(preview.decided_at)}" if preview.decided_at else ""
    match preview.status:
        case "approved":
            return f":arrow_right: Started by {by}{at}"
        case "rejected":
            return f":no_entry_sign: Cancelled by {by}{at}; nothing was done"
        case "expired":
            return ":hourglass: Nobody pressed Run in time: cancelled, nothing was done"
        case _:
            return f"Waiting until {date(preview.expires_at)}"


def preview_text(preview: Approval, names: Callable[[str], str]) -> str:
    """The preview as plain lines, for a terminal (``crosswire ask``)."""
    lines = [preview.title]
    for item in preview.items:
        args = item.args
        where = "in" if args.get("write") else "from"
        line = f"  {item.index + 1}. {item.summary}, {where} {args.get('system')}"
        if args.get("approval"):
            approvers = [names(str(a)) for a in args.get("approvers") or []]
            line += f" (needs approval by {' or '.join(approvers) or 'nobody'})"
        lines.append(line)
    return "\n".join(lines)


def _fallback(preview: Approval) -> str:
    if preview.open:
        return kit.fallback(f"{preview.title} Press Run or Cancel.")
    return kit.fallback(f"{preview.title}: {outcome_line(preview)}")
