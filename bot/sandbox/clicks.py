"""A numbered button pressed at the terminal, as the signed request Slack would send for it.

Whether the person at the terminal may press it (Slack shows a DM, an ephemeral message or a
Home tab to one person only), whether it is still there (an edited message may have lost it),
and the ``block_actions`` payload of the click, with the message as it now is.
"""

from __future__ import annotations

from bot.sandbox import payloads
from bot.sandbox.buttons import Button, still_there, with_block_ids
from bot.sandbox.cast import Member
from bot.sandbox.screen import Screen


def refusal(button: Button, screen: Screen) -> str | None:
    """Why ``screen.me`` cannot press ``button`` now, in words for them; None if they can."""
    if not screen.can_see(button.place):
        owner = screen.whose(button.place)
        if owner is None:
            return f"button {button.number} is not where you can see it"
        where = {"message": "a DM to", "ephemeral": "shown only to", "home": "the Home tab of"}
        return (
            f"button {button.number} is on {where[button.place.surface]} {owner.name}; "
            f"only they can press it (/as {owner.email} to be them)"
        )
    if not _still_there(button, screen):
        return (
            f"button {button.number} is no longer there: its message changed since "
            "(press one of the buttons it shows now)"
        )
    return None


def _still_there(button: Button, screen: Screen) -> bool:
    place = button.place
    if place.surface == "ephemeral":
        return True
    if place.surface == "home":
        view = screen.standin.workspace.home_views.get(place.user or "") or {}
        return view.get("id") == place.ts and still_there(button, view.get("blocks") or [])
    message = next((m for m in screen.standin.messages(place.channel) if m.ts == place.ts), None)
    return message is not None and still_there(button, message.blocks or [])


def click(button: Button, screen: Screen, *, trigger_id: str) -> payloads.Payload:
    """The ``block_actions`` request for ``screen.me`` pressing ``button``."""
    me, place = screen.me, button.place
    label = _label(button)
    if place.surface == "home":
        view = dict(screen.standin.workspace.home_views.get(place.user or "") or {})
        view["blocks"] = with_block_ids(view.get("blocks") or [])
        return payloads.home_block_action(
            button.action_id, button.value, user_id=me.user_id, view=view,
            block_id=button.block_id, label=label, user_name=_handle(me),
            trigger_id=trigger_id,
        )  # fmt: skip
    message = next((m for m in screen.standin.messages(place.channel) if m.ts == place.ts), None)
    return payloads.block_action(
        button.action_id,
        button.value,
        user_id=me.user_id,
        channel_id=place.channel,
        message_ts=place.ts,
        response_url=screen.standin.response_url(place.channel, me.user_id),
        block_id=button.block_id,
        message_text=message.text if message else "",
        message_blocks=with_block_ids(message.blocks or []) if message else [],
        trigger_id=trigger_id,
        label=label,
        user_name=_handle(me),
        ephemeral=place.surface == "ephemeral",
    )


def _label(button: Button) -> str:
    text = button.element.get("text")
    return str(text.get("text", "")) if isinstance(text, dict) else button.value


def _handle(member: Member) -> str:
    return member.email.split("@", 1)[0]
