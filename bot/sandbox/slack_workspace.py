"""The in-memory workspace behind the Slack Web API stand-in: state and method semantics.

`SandboxWorkspace.call(method, args)` applies one Web API method to the state and returns the
fields of Slack's success answer (without `"ok"`), or raises `SlackError` with Slack's error code.
It knows nothing of HTTP; `bot.sandbox.slack_api` serves it.

Channels the bot is a member of take its messages; a channel declared with
`add_channel(..., member=False)` refuses them the way Slack does: `not_in_channel` for a
public channel, `channel_not_found` for a private one (Slack does not reveal those). A channel
never declared is a public channel the bot was invited to, and DMs (`D…`) always take them.

Messages keep the metadata they were posted with (an edit without metadata keeps it), and
`conversations.history` (a channel's top-level messages, newest first) and
`conversations.replies` (a thread, oldest first) read them back as Slack does: `oldest`,
`latest`, `inclusive`, `limit`, a cursor with `has_more`, and metadata only with
`include_all_metadata`. Reading a channel needs the same membership as posting in it.

Modals (`views.open`, `views.push`, `views.update`) are kept by view id in `modal_views`, in
the shape Slack answers them (id, hash, an empty state), so a test or the terminal can read
what a person was shown and submit it back.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.payloads import SANDBOX_BOT_ID, SANDBOX_BOT_USER_ID, SANDBOX_TEAM_ID

Args = dict[str, Any]
HISTORY_PAGE = 100  # Slack's default page for conversations.history and .replies
HISTORY_MAX_PAGE = 999
MAX_LOADING_MESSAGES = 10  # assistant.threads.setStatus takes at most 10


class SlackError(Exception):
    """A Slack error code, answered as `{"ok": false, "error": error}`."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class MessageVersion:
    """The content of a message at one point in its life."""

    text: str
    blocks: list[Any] | None


@dataclass(frozen=True)
class Channel:
    """A conversation the workspace knows: whether it is private, and whether the bot is in."""

    id: str
    private: bool = False
    member: bool = True


@dataclass
class PostedMessage:
    """A message posted by the bot, with edits applied; `history` holds the replaced versions."""

    channel: str
    ts: str
    text: str
    blocks: list[Any] | None
    thread_ts: str | None
    user: str
    metadata: Args | None = None
    history: list[MessageVersion] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)

    @property
    def edits(self) -> int:
        """How many times `chat.update` changed this message."""
        return len(self.history)


class SandboxWorkspace:
    """One Slack workspace in memory: the bot identity, users, messages, ephemerals, home views.

    Message timestamps are Slack's: the wall-clock time of posting in seconds with six
    decimals (`"1764590000.123456"`), unique and increasing, so they sort like Slack's and
    `oldest`/`latest` bounds mean what they mean in Slack.
    """

    def __init__(
        self,
        *,
        team_id: str,
        bot_user_id: str,
        bot_id: str,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.users: dict[str, Args] = {}
        self.messages: dict[tuple[str, str], PostedMessage] = {}
        self.ephemerals: list[Args] = []
        self.home_views: dict[str, Args] = {}
        self.modal_views: dict[str, Args] = {}
        self.channels: dict[str, Channel] = {}
        # The status each thread shows now ("is planning…"; none once cleared with "").
        self.thread_statuses: dict[tuple[str, str], str] = {}
        self._wall_clock = wall_clock
        self._last_micros = 0
        self._methods: dict[str, Callable[[Args], Args]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "conversations.open": self._conversations_open,
            "reactions.add": self._reactions_add,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "users.lookupByEmail": self._lookup_by_email,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "assistant.threads.setStatus": self._set_status,
        }

    @classmethod
    def default(cls) -> SandboxWorkspace:
        """A workspace with the sandbox team and bot ids used by `bot.sandbox.payloads`."""
        return cls(team_id=SANDBOX_TEAM_ID, bot_user_id=SANDBOX_BOT_USER_ID, bot_id=SANDBOX_BOT_ID)

    def call(self, method: str, args: Args) -> Args:
        """Apply `method`; `SlackError("unknown_method")` for a method the stand-in lacks."""
        handler = self._methods.get(method)
        if handler is None:
            raise SlackError("unknown_method")
        return handler(args)

    def add_user(self, user_id: str, email: str, real_name: str, *, name: str, tz: str) -> None:
        """Store a user in the shape of Slack's `users.info` user object."""
        profile = {"email": email, "real_name": real_name, "display_name": name}
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": False,
            "tz": tz,
            "profile": profile,
        }

    def add_channel(self, channel_id: str, *, private: bool = False, member: bool = True) -> None:
        """Declare a channel, and whether the bot is a member of it."""
        self.channels[channel_id] = Channel(channel_id, private=private, member=member)

    def post_as_app(self, channel: str, text: str, blocks: list[Any] | None) -> PostedMessage:
        """A message shown in ``channel`` as the app, member or not (a command's response)."""
        msg = PostedMessage(channel, self._next_ts(), text, blocks, None, self.bot_user_id)
        self.messages[(channel, msg.ts)] = msg
        return msg

    def _postable(self, args: Args) -> str:
        """The channel of a post, if the bot may post there; Slack's refusal otherwise."""
        channel_id = _required(args, "channel", "channel_not_found")
        channel = self.channels.get(channel_id)
        if channel is None or channel.member:
            return channel_id
        raise SlackError("channel_not_found" if channel.private else "not_in_channel")

    def _next_ts(self) -> str:
        micros = max(int(self._wall_clock() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _find(self, args: Args, ts_key: str) -> PostedMessage:
        key = (self._postable(args), str(args.get(ts_key, "")))
        if key not in self.messages:
            raise SlackError("message_not_found")
        return self.messages[key]

    def _auth_test(self, args: Args) -> Args:
        return {
            "url": "https://crosswire-sandbox.slack.com/",
            "team": "Crosswire Sandbox",
            "user": "crosswire",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _post_message(self, args: Args) -> Args:
        channel = self._postable(args)
        text, blocks = _content(args)
        ts, thread_ts = self._next_ts(), args.get("thread_ts") or None
        msg = PostedMessage(channel, ts, text, blocks, thread_ts, self.bot_user_id)
        msg.metadata = _metadata(args)
        self.messages[(channel, ts)] = msg
        return {"channel": channel, "ts": ts, "message": self._wire(msg)}

    def _update(self, args: Args) -> Args:
        msg = self._find(args, "ts")
        text, blocks = _content(args)
        msg.history.append(MessageVersion(msg.text, msg.blocks))
        msg.text, msg.blocks = text, blocks
        msg.metadata = _metadata(args) or msg.metadata  # an edit without metadata keeps it
        return {"channel": msg.channel, "ts": msg.ts, "text": text, "message": self._wire(msg)}

    def _history(self, args: Args) -> Args:
        """A channel's top-level messages, newest first (thread replies stay in threads)."""
        channel = self._readable(args)
        found = [m for m in self.messages.values() if m.channel == channel]
        top_level = [m for m in found if m.thread_ts in (None, m.ts)]
        return self._page(sorted(top_level, key=_ts_key, reverse=True), args)

    def _replies(self, args: Args) -> Args:
        """A thread, oldest first: its parent (when it is a message the bot posted) and replies.

        The sandbox stores only the bot's messages, so a thread under a person's message
        lists the bot's replies alone (Slack would list that message first, too)."""
        channel = self._readable(args)
        parent = _required(args, "ts", "thread_not_found")
        found = [
            m
            for m in self.messages.values()
            if m.channel == channel and parent in (m.ts, m.thread_ts)
        ]
        return self._page(sorted(found, key=_ts_key), args)

    def _readable(self, args: Args) -> str:
        """The channel to read, if the bot may read it (the same membership as for posts)."""
        return self._postable(args)

    def _page(self, ordered: list[PostedMessage], args: Args) -> Args:
        """One page of ``ordered`` within ``oldest``/``latest``, from ``cursor`` on."""
        oldest, latest = _bound(args, "oldest", 0.0), _bound(args, "latest", float("inf"))
        inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
        within = [m for m in ordered if _within(_ts_key(m), oldest, latest, inclusive)]
        cursor = str(args.get("cursor") or "0")
        start = int(cursor) if cursor.isdigit() else 0
        limit = min(max(int(_bound(args, "limit", HISTORY_PAGE)), 1), HISTORY_MAX_PAGE)
        page, rest = within[start : start + limit], within[start + limit :]
        metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        return {
            "messages": [self._wire(m, with_metadata=metadata) for m in page],
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": str(start + limit) if rest else ""},
        }

    def _post_ephemeral(self, args: Args) -> Args:
        channel = self._postable(args)
        user = _required(args, "user", "user_not_in_channel")
        text, blocks = _content(args)
        ts = self._next_ts()
        thread_ts = args.get("thread_ts")
        self.ephemerals.append(
            {"channel": channel, "user": user, "text": text, "blocks": blocks, "ts": ts,
             "thread_ts": thread_ts}
        )  # fmt: skip
        return {"message_ts": ts}

    def _users_info(self, args: Args) -> Args:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _views_publish(self, args: Args) -> Args:
        user_id = _required(args, "user_id", "invalid_arguments")
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        stored = {**view, "id": f"V{len(self.home_views) + 1:08d}", "team_id": self.team_id}
        self.home_views[user_id] = stored
        return {"view": stored}

    def _lookup_by_email(self, args: Args) -> Args:
        email = _required(args, "email", "invalid_email").lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email:
                return {"user": copy.deepcopy(user)}
        raise SlackError("users_not_found")

    def _views_open(self, args: Args) -> Args:
        """A modal opened by a click or command (its ``trigger_id``): the view as Slack keeps it."""
        _required(args, "trigger_id", "invalid_trigger_id")
        return {"view": self._store_modal(_view(args), previous=None)}

    def _views_push(self, args: Args) -> Args:
        """A modal pushed on top of the open one; Slack keeps both, the new one shown."""
        _required(args, "trigger_id", "invalid_trigger_id")
        return {"view": self._store_modal(_view(args), previous=args.get("previous_view_id"))}

    def _views_update(self, args: Args) -> Args:
        """A modal replaced by ``view_id`` (or ``external_id``); its id and state's place stay."""
        view_id = args.get("view_id") or next(
            (
                i
                for i, v in self.modal_views.items()
                if args.get("external_id") == v.get("external_id")
            ),
            None,
        )
        current = self.modal_views.get(str(view_id or ""))
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        stored = {**current, **_view(args), "state": {"values": {}}, "hash": self._view_hash()}
        stored["id"] = current["id"]
        self.modal_views[current["id"]] = stored
        return {"view": copy.deepcopy(stored)}

    def _store_modal(self, view: Args, *, previous: Any) -> Args:
        view_id = f"VM{len(self.modal_views) + 1:07d}"
        stored = {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": self._view_hash(),
            "root_view_id": view_id,
            "previous_view_id": previous,
            "bot_id": self.bot_id,
        }
        self.modal_views[view_id] = stored
        return copy.deepcopy(stored)

    def _view_hash(self) -> str:
        return f"{self._next_ts()}.sandbox"

    def _conversations_open(self, args: Args) -> Args:
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        return {"channel": {"id": "D" + "".join(u.lstrip("UW") for u in sorted(users))}}

    def _reactions_add(self, args: Args) -> Args:
        msg = self._find(args, "timestamp")
        name = _required(args, "name", "invalid_name")
        if name in msg.reactions:
            raise SlackError("already_reacted")
        msg.reactions.append(name)
        return {}

    def _set_status(self, args: Args) -> Args:
        """``assistant.threads.setStatus``: ``channel_id`` and ``thread_ts`` required, a
        ``status`` string (empty clears it), at most 10 ``loading_messages`` strings."""
        channel = self._postable({"channel": args.get("channel_id")})
        thread_ts = args.get("thread_ts")
        status = args.get("status")
        if not isinstance(thread_ts, str) or not thread_ts or not isinstance(status, str):
            raise SlackError("invalid_arguments")
        loading = args.get("loading_messages")
        if loading is not None and (
            not isinstance(loading, list)
            or len(loading) > MAX_LOADING_MESSAGES
            or not all(isinstance(m, str) for m in loading)
        ):
            raise SlackError("invalid_arguments")
        if status:
            self.thread_statuses[(channel, thread_ts)] = status
        else:
            self.thread_statuses.pop((channel, thread_ts), None)
        return {}

    def _wire(self, msg: PostedMessage, *, with_metadata: bool = False) -> Args:
        wire: Args = {"type": "message", "user": msg.user, "bot_id": self.bot_id}
        wire.update(text=msg.text, ts=msg.ts, team=self.team_id)
        if msg.blocks is not None:
            wire["blocks"] = copy.deepcopy(msg.blocks)
        if msg.thread_ts is not None:
            wire["thread_ts"] = msg.thread_ts
        if with_metadata and msg.metadata is not None:
            wire["metadata"] = copy.deepcopy(msg.metadata)
        return wire


def _required(args: Mapping[str, Any], key: str, error: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise SlackError(error)
    return value


def _metadata(args: Mapping[str, Any]) -> Args | None:
    """A message's metadata as Slack keeps it: an event type and a payload object."""
    metadata = args.get("metadata")
    if not metadata:
        return None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
        raise SlackError("invalid_metadata_format")
    payload = metadata.get("event_payload", {})
    if not isinstance(payload, dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": copy.deepcopy(payload)}


def _view(args: Mapping[str, Any]) -> Args:
    """The ``view`` argument of a ``views.*`` call: a modal (Slack refuses anything else)."""
    view = args.get("view")
    if not isinstance(view, dict) or view.get("type") != "modal":
        raise SlackError("invalid_arguments")
    return copy.deepcopy(view)


def _ts_key(msg: PostedMessage) -> float:
    return float(msg.ts)


def _bound(args: Mapping[str, Any], key: str, default: float) -> float:
    value = args.get(key)
    try:
        return float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise SlackError("invalid_arguments") from None


def _within(ts: float, oldest: float, latest: float, inclusive: bool) -> bool:
    if inclusive:
        return oldest <= ts <= latest
    return oldest < ts < latest


def _content(args: Mapping[str, Any]) -> tuple[str, list[Any] | None]:
    text, blocks = args.get("text"), args.get("blocks")
    if not text and not blocks:
        raise SlackError("no_text")
    return str(text or ""), list(blocks) if blocks else None
