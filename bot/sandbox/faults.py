"""Failures the Slack stand-in can be told to answer with, in the shapes Slack (or a proxy in
front of it) really answers."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

HTML_ERROR_PAGE = "<html><body><h1>500 Internal Server Error</h1></body></html>"


@dataclass(frozen=True)
class Fault:
    """One injected failure: a Slack error code, or an HTTP status with a raw body, after a delay.

    `error` alone is Slack's HTTP 200 `{"ok": false}` (`"ratelimited"`: HTTP 429 with
    `Retry-After: 0`); `status` with `body` is answered as-is, as `content_type` (by default
    `text/html`: a proxy's or Slack's own error page). The call is recorded with `error` set,
    or `"http_<status>"`. With `accepted`, the call takes effect first and only its answer
    fails: Slack posted the message, and the caller cannot know it."""

    error: str | None = None
    status: int = 200
    body: str | None = None
    delay_s: float = 0.0
    content_type: str = "text/html"
    accepted: bool = False

    @property
    def recorded_as(self) -> str:
        return self.error or f"http_{self.status}"

    def response(self) -> web.Response:
        if self.body is not None:
            return web.Response(status=self.status, text=self.body, content_type=self.content_type)
        if self.error == "ratelimited":
            body = {"ok": False, "error": "ratelimited"}
            return web.json_response(body, status=429, headers={"Retry-After": "0"})
        return web.json_response({"ok": False, "error": self.error}, status=self.status)
