"""The ``email.*`` operations over Gmail v1, with the demo mailbox's inputs and outputs: threads
with a customer's domain, threads with people, and sending one email exactly once.

Gmail has no idempotency key, so the call's key becomes the message's ``Message-ID`` (and an
``X-Crosswire-Idempotency-Key`` header): before sending, the mailbox is searched for it
(``rfc822msgid:``), so a retry or a replay after a crash finds the message already sent and
does not send it again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any, Final

from connectors import normalise
from connectors.demo.ops_base import read_operation, write_operation
from connectors.demo.ops_comms import RecentThreadsInput, ThreadsWithInput
from connectors.demo.ops_lists_base import AccountIndex
from connectors.demo.ops_outreach import SendEmailInput
from connectors.errors import RecordNotFound, SystemUnavailable
from connectors.google.client import GoogleClient
from workflows.catalog import AnyOperation, CallContext, Risk
from workflows.domain import EmailThread, EmailThreads, SentEmail

if TYPE_CHECKING:
    from connectors.identity import IdentityDirectory

SYSTEM: Final = "email"
LABEL: Final = "Gmail"
SCOPES: Final = "https://www.googleapis.com/auth/gmail.modify"
MAILBOX: Final = "/gmail/v1/users/me"
PAGE_SIZE: Final = 100
MAX_PAGES: Final = 20
READ_AT_ONCE: Final = 10  # threads read side by side (within the connection pool)
PEOPLE_PER_QUERY: Final = 10  # Gmail caps a query's length: ask about people in groups
KEY_HEADER: Final = "X-Crosswire-Idempotency-Key"
HEADERS: Final = ("From", "To", "Cc", "Subject")
PEOPLE: Final = frozenset({"from", "to", "cc"})


def gmail_operations(
    gmail: GoogleClient, directory: IdentityDirectory, sender: str
) -> list[AnyOperation]:
    """``email.recent_threads``, ``email.threads_with`` and ``email.send``, as the demo
    mailbox declares them; ``sender`` is the mailbox (the delegated subject)."""
    ops = _Mailbox(gmail, AccountIndex(directory), sender)
    return [
        read_operation("email.recent_threads", "Most recent mailbox threads with anyone at "
                       "the customer's email domain, newest first: subject, participants, who "
                       "wrote last and when, a snippet.",
                       (RecentThreadsInput, EmailThreads), ops.recent_threads, None),
        read_operation("email.threads_with", "Mailbox threads with any of `emails` (up to "
                       "`per_person` each, newest first): subject, participants, who wrote "
                       "last and when, a snippet.",
                       (ThreadsWithInput, EmailThreads), ops.threads_with, None),
        write_operation("email.send", "Send an email from the requester's mailbox to one "
                        "person (a customer or prospect). Cannot be unsent.",
                        (SendEmailInput, SentEmail), ops.send, None, risk=Risk.HIGH,
                        editable=("subject", "body")),
    ]  # fmt: skip


class _Mailbox:
    def __init__(self, gmail: GoogleClient, index: AccountIndex, sender: str) -> None:
        self.gmail, self.index, self.sender = gmail, index, sender

    async def recent_threads(self, inp: RecentThreadsInput) -> EmailThreads:
        domain = inp.account.links.get(SYSTEM)
        if domain is None:
            return EmailThreads()
        wanted = f"@{domain.lower()}"
        threads = await self._threads(_about([wanted]))
        chosen = [t for t in threads if any(p.lower().endswith(wanted) for p in t.participants)]
        return EmailThreads(threads=chosen[: inp.limit])

    async def threads_with(self, inp: ThreadsWithInput) -> EmailThreads:
        wanted = sorted({e.strip().lower() for e in inp.emails})
        found: dict[str, EmailThread] = {}
        for start in range(0, len(wanted), PEOPLE_PER_QUERY):
            for thread in await self._threads(_about(wanted[start : start + PEOPLE_PER_QUERY])):
                found[thread.id] = thread
        taken: dict[str, int] = {}
        chosen = []
        for thread in _newest_first(found.values()):
            people = [p.lower() for p in thread.participants if p.lower() in wanted]
            if people and any(taken.get(p, 0) < inp.per_person for p in people):
                chosen.append(thread)
                for p in people:
                    taken[p] = taken.get(p, 0) + 1
        return EmailThreads(threads=chosen)

    async def send(self, inp: SendEmailInput, ctx: CallContext) -> SentEmail:
        if inp.account_id is not None and inp.account_id.strip() not in self.index.by_id():
            raise RecordNotFound(f"there is no customer account {inp.account_id!r}", system=SYSTEM)
        message_id = _message_id(ctx.idempotency_key)
        earlier = await self.gmail.get(
            f"{MAILBOX}/messages", {"q": f"rfc822msgid:{message_id}", "includeSpamTrash": True}
        )
        sent_before = _ids(earlier, "messages")
        if sent_before:
            gmail_id, duplicate = sent_before[0], True
        else:
            raw = _rfc2822(self.sender, inp, message_id, ctx.idempotency_key)
            answer = await self.gmail.post(f"{MAILBOX}/messages/send", {"raw": raw})
            if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
                raise SystemUnavailable(f"{LABEL} answered a send without its id", system=SYSTEM)
            gmail_id, duplicate = answer["id"], False
        message = await self.gmail.get(f"{MAILBOX}/messages/{gmail_id}", {"format": "minimal"})
        return SentEmail(
            message_id=gmail_id,
            to=inp.to,
            subject=inp.subject,
            account_id=inp.account_id,
            sent_at=_moment(message),
            idempotency_key=ctx.idempotency_key,
            duplicate=duplicate,
        )

    async def _threads(self, query: str) -> list[EmailThread]:
        """Every thread matching ``query`` (page after page), each read with its headers."""
        ids: list[str] = []
        params: dict[str, str | int] = {"q": query, "maxResults": PAGE_SIZE}
        for _ in range(MAX_PAGES):
            page = await self.gmail.get(f"{MAILBOX}/threads", params)
            ids += _ids(page, "threads")
            token = page.get("nextPageToken") if isinstance(page, dict) else None
            if not isinstance(token, str) or not token:
                break
            params["pageToken"] = token
        threads = []
        for start in range(0, len(ids), READ_AT_ONCE):
            found = await asyncio.gather(
                *(self._thread(t) for t in ids[start : start + READ_AT_ONCE])
            )
            threads += [t for t in found if t is not None]
        return _newest_first(threads)

    async def _thread(self, thread_id: str) -> EmailThread | None:
        raw = await self.gmail.get(
            f"{MAILBOX}/threads/{thread_id}",
            {"format": "metadata", "metadataHeaders": list(HEADERS)},
        )
        return _thread(raw)


def _about(people: Iterable[str]) -> str:
    """A Gmail query for messages from, to or copied to any of ``people``."""
    return " OR ".join(f"{field}:{who}" for who in people for field in ("from", "to", "cc"))


def _newest_first(threads: Iterable[EmailThread]) -> list[EmailThread]:
    ordered = sorted(threads, key=lambda t: t.id)
    return sorted(ordered, key=lambda t: t.last_at, reverse=True)


def _ids(page: Any, field: str) -> list[str]:
    items = page.get(field, []) if isinstance(page, dict) else None
    if not isinstance(items, list):
        raise SystemUnavailable(f"{LABEL} answered a list without its {field}", system=SYSTEM)
    return [str(i["id"]) for i in items if isinstance(i, dict) and "id" in i]


def _thread(raw: Any) -> EmailThread | None:
    """A Gmail thread (its messages' metadata) as the project's EmailThread."""
    messages = raw.get("messages") if isinstance(raw, dict) else None
    if not isinstance(messages, list) or not messages:
        return None
    people: dict[str, str] = {}
    for message in messages:  # in the order the messages' headers name them
        for _, address in getaddresses(_headers(message, PEOPLE)):
            if address:
                people.setdefault(normalise.email(address), normalise.email(address))
    last = messages[-1]
    senders = [normalise.email(a) for _, a in getaddresses([_header(last, "From")]) if a]
    return EmailThread(
        id=str(raw.get("id")),
        subject=_header(messages[0], "Subject"),
        participants=list(people.values()),
        message_count=len(messages),
        last_from=senders[0] if senders else "",
        last_at=_moment(last),
        snippet=str(last.get("snippet", "")),
    )


def _headers(message: Any, names: frozenset[str]) -> list[str]:
    """The values of ``message``'s headers named any of ``names`` (lower case), in order."""
    payload = message.get("payload", {}) if isinstance(message, dict) else {}
    headers = payload.get("headers", []) if isinstance(payload, dict) else []
    return [
        str(h.get("value", ""))
        for h in headers if isinstance(h, dict) and str(h.get("name", "")).lower() in names
    ]  # fmt: skip


def _header(message: Any, name: str) -> str:
    found = _headers(message, frozenset({name.lower()}))
    return found[0] if found else ""


def _moment(message: Any) -> datetime:
    """A message's ``internalDate`` (milliseconds since the epoch, as a string)."""
    try:
        return normalise.moment(message["internalDate"], epoch="ms")
    except (KeyError, TypeError, normalise.Unreadable):
        raise SystemUnavailable(
            f"{LABEL} answered a message without its date", system=SYSTEM
        ) from None


def _message_id(key: str) -> str:
    """The ``Message-ID`` of the email sent for idempotency key ``key``: the same every time."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@idempotency.crosswire>"


def _rfc2822(sender: str, inp: SendEmailInput, message_id: str, key: str) -> str:
    """The message as Gmail's ``raw`` field wants it: RFC 2822, base64url."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = inp.to
    message["Subject"] = inp.subject
    message["Message-ID"] = message_id
    message[KEY_HEADER] = key
    message.set_content(inp.body)
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


__all__ = ["KEY_HEADER", "LABEL", "SCOPES", "SYSTEM", "gmail_operations"]
