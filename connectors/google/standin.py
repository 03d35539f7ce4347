"""A local server that speaks Google's token endpoint, Gmail v1 and Calendar v3, as much as
the Google connector uses, for tests and drills: nothing reaches the internet.

- ``POST /token``: the JWT bearer grant. The assertion's RS256 signature is checked against
  the public key the stand-in was given (a test makes its own key pair), and so are its
  issuer, audience, lifetime and subject (only ``subjects`` may be acted as).
- ``/gmail/v1/users/me/...``: ``profile``, ``threads`` (``q``, ``pageToken``, ``maxResults``),
  ``threads/{id}`` and ``messages/{id}`` (``format=metadata`` with ``metadataHeaders``, or
  ``minimal``/``full``), ``messages`` (``q``), and ``messages/send`` with a base64url RFC 2822
  ``raw``. Queries understand ``from:``, ``to:``, ``cc:`` and ``rfc822msgid:`` joined by ``OR``.
- ``/calendar/v3/calendars/{id}`` and its ``events``: list (``timeMin``, ``timeMax``,
  ``singleEvents``, ``orderBy=startTime``, ``pageToken``), insert (a client's base32hex id;
  409 when it exists), get and delete (410 when already deleted).

It is seeded from the demo world (:meth:`GoogleStandIn.seed_from`: its mail threads, and its
calendar's meetings around the world's now, with the same ids) and misbehaves on request:
:meth:`GoogleStandIn.script` queues answers for the next requests to a path (a 429 with
``Retry-After``, a 503, a body that is not JSON, a hang), and :meth:`GoogleStandIn.expire_tokens`
makes every token handed out so far expired (401).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import getaddresses
from typing import Any, Self
from urllib.parse import parse_qs, parse_qsl, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select

from connectors.demo import calendar as demo_calendar
from connectors.demo.schema import mail_threads
from connectors.demo.store import DemoWorld
from connectors.standin import (
    Misbehaviour,
    Request,
    StandInServer,
    garbage,
    hang,
    unavailable,
)
from workflows.clock import SystemClock

_WALL = SystemClock()  # the stand-in's own time, as a remote server keeps it

SEEDED_BEFORE = timedelta(days=14)  # the calendar is seeded this long around the world's now
SEEDED_AFTER = timedelta(days=28)
EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
Answer = tuple[int, dict[str, str], bytes]


def throttled(retry_after: str = "1") -> Misbehaviour:
    return Misbehaviour(429, _error(429, "Rate Limit Exceeded", "RESOURCE_EXHAUSTED"),
                        {"Retry-After": retry_after})  # fmt: skip


def expired() -> Misbehaviour:
    return Misbehaviour(401, _error(401, "Request had invalid authentication credentials.",
                                    "UNAUTHENTICATED"))  # fmt: skip


@dataclass(frozen=True)
class Seen:
    """A request as the stand-in received it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    body: bytes
    headers: Mapping[str, str]
    at: float = 0.0

    def param(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]


@dataclass
class _Message:
    id: str
    thread_id: str
    headers: list[tuple[str, str]]
    internal_ms: int
    snippet: str
    labels: list[str] = field(default_factory=lambda: ["INBOX"])
    body: str = ""

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def json(self, fmt: str, wanted: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": self.id, "threadId": self.thread_id, "labelIds": self.labels,
            "snippet": self.snippet, "internalDate": str(self.internal_ms),
        }  # fmt: skip
        if fmt == "minimal":
            return found
        headers = [{"name": k, "value": v} for k, v in self.headers]
        if fmt == "metadata" and wanted:
            headers = [h for h in headers if h["name"].lower() in {w.lower() for w in wanted}]
        payload: dict[str, Any] = {"mimeType": "text/plain", "headers": headers}
        if fmt == "full":
            data = base64.urlsafe_b64encode(self.body.encode()).decode()
            payload["body"] = {"size": len(self.body), "data": data}
        return found | {"payload": payload}


class GoogleStandIn(StandInServer[Seen]):
    """Google's token endpoint, Gmail and Calendar on ``127.0.0.1`` (a free port).

    ``public_key`` verifies assertions signed by the service account ``client_email``;
    ``now`` is the stand-in's clock (the tests' injected one), for token lifetimes and the
    dates of sent messages."""

    content_type = "application/json; charset=UTF-8"
    nodelay = True

    def __init__(
        self,
        *,
        public_key: rsa.RSAPublicKey,
        client_email: str,
        subjects: Iterable[str],
        now: Callable[[], datetime] = _WALL.now,
        calendar_id: str = "primary",
        latency_s: float = 0.0,
    ) -> None:
        super().__init__(latency_s=latency_s)
        self.public_key, self.client_email = public_key, client_email
        self.subjects = {s.lower() for s in subjects}
        self.now, self.calendar_id = now, calendar_id
        self.messages: list[_Message] = []
        self.sent: list[_Message] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, tuple[str, str, datetime]] = {}  # token -> subject, scopes, end

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def expire_tokens(self) -> None:
        """Every token handed out so far has expired: the next request with one gets 401."""
        with self.lock:
            self.tokens = {t: (s, sc, datetime.min.replace(tzinfo=UTC))
                           for t, (s, sc, _) in self.tokens.items()}  # fmt: skip

    async def seed_from(self, world: DemoWorld) -> Self:
        """The demo world's mail threads (each with as many messages as it counts) and its
        calendar's meetings around its now, with their ids."""
        async with world.read() as read:
            threads = (await read.conn.execute(select(mail_threads))).mappings().all()
            meetings = await demo_calendar.meetings_between(
                read, read.now - SEEDED_BEFORE, read.now + SEEDED_AFTER
            )
        for t in threads:
            self.add_thread(str(t["id"]), str(t["subject"]), list(t["participants"]),
                            int(t["message_count"]), str(t["last_from"]), t["last_at"],
                            str(t["snippet"]))  # fmt: skip
        for m in meetings:
            self.add_event(m.id, m.title, m.starts_at, m.ends_at, m.organizer_email, m.attendees)
        return self

    def add_thread(
        self, thread_id: str, subject: str, participants: list[str], count: int,
        last_from: str, last_at: datetime, snippet: str,
    ) -> None:  # fmt: skip
        """A thread of ``count`` messages, the last from ``last_from``; the first names the
        participants in their order (its headers in that order: To, From, Cc)."""
        count = max(1, count)
        for n in range(count):
            last = n == count - 1
            sender = last_from if last else participants[0]
            if n == 0 and sender in participants:  # the first message names them in order
                i = participants.index(sender)
                before, after = participants[:i], participants[i + 1 :]
                people = [("To", before), ("From", [sender]), ("Cc", after)]
            else:
                people = [("From", [sender]), ("To", [p for p in participants if p != sender])]
            headers = [(k, ", ".join(v)) for k, v in people if v]
            headers.append(("Subject", subject if n == 0 else f"Re: {subject}"))
            at = last_at - timedelta(hours=count - 1 - n)
            self.messages.append(_Message(
                id=f"{thread_id}-m{n + 1}", thread_id=thread_id, headers=headers,
                internal_ms=int(at.timestamp() * 1000), snippet=snippet if last else "",
            ))  # fmt: skip

    def add_event(
        self, event_id: str, title: str, starts: datetime, ends: datetime, organizer: str,
        attendees: list[str],
    ) -> None:  # fmt: skip
        self.events[event_id] = {
            "kind": "calendar#event", "id": event_id, "status": "confirmed", "summary": title,
            "start": {"dateTime": _rfc3339(starts)}, "end": {"dateTime": _rfc3339(ends)},
            "organizer": {"email": organizer}, "attendees": [{"email": a} for a in attendees],
        }  # fmt: skip

    def received(self, request: Request) -> Seen:
        query = parse_qs(request.query)
        return Seen(request.method, request.path, query, request.raw, request.headers, request.at)

    def envelope(self, status: int) -> dict[str, str]:
        return {} if status == 204 else {"Content-Type": self.content_type}

    def respond(self, seen: Seen) -> Answer:
        parts = [unquote(p) for p in seen.path.split("/") if p]
        if seen.method == "POST" and parts == ["token"]:
            return self._token(dict(parse_qsl(seen.body.decode())))
        if parts[:2] == ["gmail", "v1"]:
            refused = self._refused(seen, "gmail")
            return refused or self._gmail(seen, parts[2:])
        if parts[:2] == ["calendar", "v3"]:
            refused = self._refused(seen, "calendar")
            return refused or self._calendar(seen, parts[2:])
        return _json(404, _error_body(404, "Not Found", "NOT_FOUND"))

    # ------------------------------------------------------------------ tokens

    def _token(self, form: Mapping[str, str]) -> Answer:
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return _oauth_error(400, "unsupported_grant_type", "Invalid grant_type")
        claims = self._verified(form.get("assertion", ""))
        if claims is None:
            return _oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        now = self.now().timestamp()
        if claims.get("iss") != self.client_email or claims.get("aud") != self.token_url:
            return _oauth_error(400, "invalid_grant", "Invalid JWT: issuer or audience")
        if not float(claims.get("iat", 0)) - 300 <= now < float(claims.get("exp", 0)):
            return _oauth_error(400, "invalid_grant", "Invalid JWT: Token must be a short-lived "
                                "token (60 minutes) and in a reasonable timeframe.")  # fmt: skip
        subject = str(claims.get("sub", "")).lower()
        if subject not in self.subjects:
            return _oauth_error(401, "unauthorized_client", "Client is unauthorized to "
                                "retrieve access tokens using this method.")  # fmt: skip
        token = f"ya29.standin-{len(self.tokens) + 1:04d}"
        ends = self.now() + timedelta(hours=1)
        self.tokens[token] = (subject, str(claims.get("scope", "")), ends)
        body = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        return _json(200, body)

    def _verified(self, assertion: str) -> dict[str, Any] | None:
        try:
            head, claims, signature = assertion.split(".")
            header = json.loads(_unb64(head))
            if header.get("alg") != "RS256":
                return None
            self.public_key.verify(_unb64(signature), f"{head}.{claims}".encode(),
                                   padding.PKCS1v15(), hashes.SHA256())  # fmt: skip
            found = json.loads(_unb64(claims))
        except (ValueError, InvalidSignature):
            return None
        return found if isinstance(found, dict) else None

    def _refused(self, seen: Seen, api: str) -> Answer | None:
        given = seen.headers.get("authorization", "").removeprefix("Bearer ")
        held = self.tokens.get(given)
        if held is None or self.now() >= held[2]:
            return _json(401, _error_body(401, "Request had invalid authentication credentials.",
                                          "UNAUTHENTICATED"))  # fmt: skip
        if f"auth/{api}" not in held[1]:
            return _json(403, _error_body(403, "Request had insufficient authentication scopes.",
                                          "PERMISSION_DENIED"))  # fmt: skip
        return None

    # ------------------------------------------------------------------ gmail

    def _gmail(self, seen: Seen, parts: list[str]) -> Answer:
        match seen.method, parts:
            case "GET", ["users", "me", "profile"]:
                total = len({m.thread_id for m in self.messages})
                return _json(
                    200,
                    {
                        "emailAddress": sorted(self.subjects)[0],
                        "messagesTotal": len(self.messages),
                        "threadsTotal": total,
                    },
                )
            case "GET", ["users", "me", "threads"]:
                return self._threads(seen)
            case "GET", ["users", "me", "threads", thread_id]:
                messages = [m for m in self.messages if m.thread_id == thread_id]
                if not messages:
                    return _json(404, _error_body(404, "Requested entity was not found.",
                                                  "NOT_FOUND"))  # fmt: skip
                fmt, wanted = seen.param("format", "full"), seen.query.get("metadataHeaders", [])
                return _json(
                    200,
                    {
                        "id": thread_id,
                        "snippet": messages[-1].snippet,
                        "messages": [m.json(fmt, wanted) for m in messages],
                    },
                )
            case "GET", ["users", "me", "messages"]:
                found = [m for m in self.messages if _matches(m, seen.param("q"))]
                found.sort(key=lambda m: m.internal_ms, reverse=True)
                body = [{"id": m.id, "threadId": m.thread_id} for m in found]
                return _json(200, {"messages": body, "resultSizeEstimate": len(body)}
                             if body else {"resultSizeEstimate": 0})  # fmt: skip
            case "GET", ["users", "me", "messages", message_id]:
                message = next((m for m in self.messages if m.id == message_id), None)
                if message is None:
                    return _json(404, _error_body(404, "Requested entity was not found.",
                                                  "NOT_FOUND"))  # fmt: skip
                fmt, wanted = seen.param("format", "full"), seen.query.get("metadataHeaders", [])
                return _json(200, message.json(fmt, wanted))
            case "POST", ["users", "me", "messages", "send"]:
                return self._send(seen.body)
        return _json(404, _error_body(404, "Not Found", "NOT_FOUND"))

    def _threads(self, seen: Seen) -> Answer:
        query = seen.param("q")
        latest: dict[str, int] = {}
        for m in self.messages:
            latest[m.thread_id] = max(latest.get(m.thread_id, 0), m.internal_ms)
        matching = {m.thread_id for m in self.messages if _matches(m, query)}
        ordered = sorted(matching, key=lambda t: (-latest[t], t))
        start = int(seen.param("pageToken", "0") or 0)
        size = max(1, min(500, int(seen.param("maxResults", "100"))))
        page = ordered[start : start + size]
        body: dict[str, Any] = {"threads": [{"id": t} for t in page],
                                "resultSizeEstimate": len(ordered)}  # fmt: skip
        if start + size < len(ordered):
            body["nextPageToken"] = str(start + size)
        if not page:
            body.pop("threads")
        return _json(200, body)

    def _send(self, raw_body: bytes) -> Answer:
        try:
            raw = json.loads(raw_body)["raw"]
            parsed = message_from_bytes(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)),
                                        policy=policy.default)  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return _json(400, _error_body(400, "Invalid value for ByteString", "INVALID_ARGUMENT"))
        if not parsed.get("To"):
            return _json(400, _error_body(400, "Invalid To header", "INVALID_ARGUMENT"))
        number = len(self.sent) + 1
        body = parsed.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        message = _Message(
            id=f"sent{number:05d}", thread_id=f"sent{number:05d}",
            headers=[(k, str(v)) for k, v in parsed.items()],
            internal_ms=int(self.now().timestamp() * 1000), snippet=text[:100].strip(),
            labels=["SENT"], body=text,
        )  # fmt: skip
        self.messages.append(message)
        self.sent.append(message)
        return _json(200, {"id": message.id, "threadId": message.thread_id, "labelIds": ["SENT"]})

    # ------------------------------------------------------------------ calendar

    def _calendar(self, seen: Seen, parts: list[str]) -> Answer:
        if len(parts) < 2 or parts[0] != "calendars" or parts[1] != self.calendar_id:
            return _json(404, _error_body(404, "Not Found", "NOT_FOUND"))
        match seen.method, parts[2:]:
            case "GET", []:
                return _json(
                    200,
                    {
                        "kind": "calendar#calendar",
                        "id": self.calendar_id,
                        "summary": "Team calendar",
                        "timeZone": "UTC",
                    },
                )
            case "GET", ["events"]:
                return self._list_events(seen)
            case "POST", ["events"]:
                return self._insert(seen.body)
            case "GET", ["events", event_id] if event_id in self.events:
                return _json(200, self.events[event_id])
            case "DELETE", ["events", event_id] if event_id in self.events:
                if self.events[event_id]["status"] == "cancelled":
                    return _json(410, _error_body(410, "Resource has been deleted", "GONE"))
                self.events[event_id]["status"] = "cancelled"
                return 204, {}, b""
        return _json(404, _error_body(404, "Not Found", "NOT_FOUND"))

    def _list_events(self, seen: Seen) -> Answer:
        low = _moment(seen.param("timeMin", "1970-01-01T00:00:00Z"))
        high = _moment(seen.param("timeMax", "9999-01-01T00:00:00Z"))
        found = [
            e for e in self.events.values()
            if e["status"] != "cancelled" and _when(e["end"]) > low and _when(e["start"]) < high
        ]  # fmt: skip
        found.sort(key=lambda e: (_when(e["start"]), e["id"]))
        start = int(seen.param("pageToken", "0") or 0)
        size = max(1, min(2500, int(seen.param("maxResults", "250"))))
        body: dict[str, Any] = {"kind": "calendar#events", "items": found[start : start + size]}
        if start + size < len(found):
            body["nextPageToken"] = str(start + size)
        return _json(200, body)

    def _insert(self, raw: bytes) -> Answer:
        try:
            event = json.loads(raw)
            starts, ends = event["start"]["dateTime"], event["end"]["dateTime"]
            _moment(starts), _moment(ends)
        except (ValueError, KeyError, TypeError):
            return _json(400, _error_body(400, "Missing or invalid time.", "INVALID_ARGUMENT"))
        event_id = str(event.get("id") or f"ev{len(self.events):08d}")
        if not EVENT_ID.match(event_id):
            return _json(400, _error_body(400, "Invalid resource id value.", "INVALID_ARGUMENT"))
        if event_id in self.events:
            return _json(409, _error_body(409, "The requested identifier already exists.",
                                          "ALREADY_EXISTS"))  # fmt: skip
        stored = {
            "kind": "calendar#event", "id": event_id,
            "status": event.get("status", "confirmed"), "summary": event.get("summary", ""),
            "start": {"dateTime": starts}, "end": {"dateTime": ends},
            "organizer": {"email": self.calendar_id, "self": True},
            "attendees": event.get("attendees", []),
            "extendedProperties": event.get("extendedProperties", {}),
        }  # fmt: skip
        self.events[event_id] = stored
        return _json(200, stored)


def _matches(message: _Message, query: str) -> bool:
    """Whether ``message`` answers a query of ``field:value`` terms joined by ``OR``."""
    for term in (t.strip() for t in query.split(" OR ") if t.strip()):
        name, _, value = term.partition(":")
        value = value.strip().lower()
        if name == "rfc822msgid":
            if message.header("Message-ID").strip().lower() == value:
                return True
        elif name in ("from", "to", "cc"):
            people = [a.lower() for _, a in getaddresses([message.header(name)])]
            if any(value in p for p in people):
                return True
    return False


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _when(bound: Mapping[str, str]) -> datetime:
    """An event's start or end: its ``dateTime``, or an all-day event's ``date`` (midnight;
    the calendar's zone is UTC here)."""
    return _moment(bound["dateTime"] if "dateTime" in bound else bound["date"])


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _error_body(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def _error(code: int, message: str, status: str) -> bytes:
    return json.dumps(_error_body(code, message, status)).encode()


def _oauth_error(status: int, error: str, description: str) -> Answer:
    return _json(status, {"error": error, "error_description": description})


def _json(status: int, body: Any) -> Answer:
    return status, {}, json.dumps(body).encode()


__all__ = ["GoogleStandIn", "Misbehaviour", "Seen", "expired", "garbage", "hang", "throttled",
           "unavailable"]  # fmt: skip
