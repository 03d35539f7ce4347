"""The Bolt app: requests verified before anything else, listeners registered, services put in
each request's context, one error handler that turns anything unexpected into a polite line in
Slack (for requests Slack really sent) and a log entry."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbound import reply_channel, reply_user
from bot.inbox import AskInbox
from bot.intake import Intake
from bot.listeners import register_all
from bot.listeners.actions import Approvals, is_interaction, tell_clicker
from bot.listeners.schedules import SlackSchedules
from bot.pacing import EdgeActivity
from bot.verify import RequestVerifier, VerifiedOnly, is_verified

log = structlog.get_logger(__name__)
SORRY = "Sorry, something went wrong on my side. It is logged; please try again in a moment."


class CrosswireApp(AsyncApp):
    """Bolt's app with our verification in place of Bolt's: :class:`VerifiedOnly` runs before
    authorization (Bolt's own verifier raises on a malformed timestamp, and the error handler
    then saw an unverified body). ``verifier`` is what the HTTP screening checks with."""

    def __init__(self, *, client: AsyncWebClient, verifier: RequestVerifier) -> None:
        super().__init__(
            client=client,
            signing_secret=verifier.signing_secret,  # given, so Bolt never reads the environment
            request_verification_enabled=False,
            before_authorize=VerifiedOnly(verifier),
            process_before_response=False,
        )
        self.verifier = verifier


class ProvideServices(AsyncMiddleware):
    """Global middleware: tells ``activity`` while the request is served and puts the
    services in its context (``approvals`` and ``schedules`` only where they are set up).
    A middleware object rather than a function: Bolt calls it directly, where a function is
    wrapped and has its arguments looked up by name on every request."""

    def __init__(
        self,
        intake: Intake,
        inbox: AskInbox,
        activity: EdgeActivity | None,
        approvals: Approvals | None = None,
        schedules: SlackSchedules | None = None,
    ) -> None:
        self.intake = intake
        self.inbox = inbox
        self.activity = activity
        self.approvals = approvals
        self.schedules = schedules

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        req.context["intake"] = self.intake
        req.context["inbox"] = self.inbox
        if self.approvals is not None:
            req.context["approvals"] = self.approvals
        if self.schedules is not None:
            req.context["schedules"] = self.schedules
        if self.activity is None:
            await next()
            return None
        with self.activity.serving():  # until Bolt acknowledges (see bot.pacing)
            await next()
        return None


def build_app(
    *,
    client: AsyncWebClient,
    signing_secret: str,
    intake: Intake,
    inbox: AskInbox,
    activity: EdgeActivity | None = None,
    now: Callable[[], float] = time.time,
    approvals: Approvals | None = None,
    schedules: SlackSchedules | None = None,
) -> CrosswireApp:
    """The one Bolt app, for HTTP, Socket Mode and the sandbox alike; asks are acknowledged
    once ``inbox`` has them (see :mod:`bot.inbox`). ``activity`` hears of
    every request, so that runs can give way to acknowledgements (see :mod:`bot.pacing`);
    ``now`` is the clock request timestamps are checked against; ``approvals`` is what the
    approval buttons, ``/crosswire approvals`` and the Home tab decide and read with;
    ``schedules`` is what ``/crosswire schedule …``, ``/crosswire briefings …`` and the Remove
    buttons use."""
    app = CrosswireApp(client=client, verifier=RequestVerifier(signing_secret, now=now))
    app.middleware(ProvideServices(intake, inbox, activity, approvals, schedules))
    register_all(app)
    app.error(on_error)
    return app


async def on_error(
    error: Exception, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The top-level handler: log with the trace, tell the requester plainly. Only a verified
    request has a requester: the channel in anyone else's body is nobody's to post into."""
    log.error("slack.unhandled_error", error=repr(error), exc_info=error)
    if not is_verified(context):
        return
    if is_interaction(body):  # a click or a form: its own way back to the person
        await tell_clicker(body, client, SORRY)
        return
    channel, thread = reply_channel(body)
    if channel is None:
        return
    user = reply_user(body)
    try:
        if user is None:
            await client.chat_postMessage(channel=channel, thread_ts=thread, text=SORRY)
        else:  # it concerns only the person who asked
            await client.chat_postEphemeral(
                channel=channel, user=user, thread_ts=thread, text=SORRY
            )
    except SlackApiError as exc:
        log.warning("slack.apology_failed", error=exc.response.get("error"))
