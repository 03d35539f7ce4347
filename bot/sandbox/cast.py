"""The people you can be in the sandbox: Northwind Labs' staff as members of the workspace.

Every employee of the demo world is a member of the sandbox workspace, with a Slack user id
and a DM with the bot, so the bot can look them up by email and message them (an approval
for Rachel Kim) whoever sits at the terminal. Dana Reyes has the sandbox's first user id
unless the workspace already knows her.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.sandbox.slack_workspace import SlackError
from connectors.demo.companies import employees

SANDBOX_USER = "U0SANDBOX"
SANDBOX_EMAIL = "dana.reyes@northwind.example"


@dataclass(frozen=True)
class Member:
    """One person of the sandbox workspace: who they are and where the bot DMs them."""

    user_id: str
    email: str
    name: str
    title: str
    dm: str

    def describe(self) -> str:
        return f"{self.name} ({self.email}), {self.title}"


class Cast:
    """The sandbox's members, found by user id, DM channel, email or name."""

    def __init__(self, members: Iterable[Member]) -> None:
        self._members = tuple(members)

    def __iter__(self) -> Iterator[Member]:
        return iter(self._members)

    def by_user(self, user_id: str) -> Member | None:
        return next((m for m in self._members if m.user_id == user_id), None)

    def by_dm(self, channel: str) -> Member | None:
        """Whose DM with the bot ``channel`` is, if it is one of them."""
        return next((m for m in self._members if m.dm == channel), None)

    def find(self, who: str) -> Member | None:
        """The member ``who`` names: by email (any case) or the part before the ``@``, by
        full name, or by a first name only one of them has."""
        wanted = who.strip().removeprefix("<mailto:").split("|")[0].rstrip(">").lower()
        for member in self._members:
            if wanted in (member.email, member.email.split("@")[0], member.name.lower()):
                return member
        firsts = [m for m in self._members if m.name.split()[0].lower() == wanted]
        return firsts[0] if len(firsts) == 1 else None


def join_workspace(standin: SlackWebApiStandIn) -> Cast:
    """Make every demo employee a member of the stand-in's workspace; their cast. Someone
    the workspace already knows by email keeps their user id (the one
    ``users.lookupByEmail`` finds)."""
    known: dict[str, str] = {}
    for user_id, user in standin.workspace.users.items():
        known.setdefault(str(user["profile"].get("email", "")).lower(), user_id)
    members = []
    for person in employees():
        user_id = known.get(person.email) or _new_user_id(person.name, person.email)
        if person.email not in known:
            standin.add_user(user_id, person.email, person.name)
        members.append(Member(user_id, person.email, person.name, person.title, ""))
    return Cast(_with_dm(m, standin) for m in members)


def _new_user_id(name: str, email: str) -> str:
    """A Slack-shaped user id: the sandbox's own for Dana Reyes, ``U0RACHELKIM`` for Rachel."""
    if email == SANDBOX_EMAIL:
        return SANDBOX_USER
    return "U0" + "".join(c for c in name.upper() if c.isalnum())


def _with_dm(member: Member, standin: SlackWebApiStandIn) -> Member:
    """The member with the DM channel the workspace opens between them and the bot."""
    try:
        opened = standin.workspace.call("conversations.open", {"users": member.user_id})
    except SlackError:
        return member
    channel = opened.get("channel")
    dm = channel.get("id") if isinstance(channel, dict) else None
    return replace(member, dm=str(dm or ""))
