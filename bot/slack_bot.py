"""The Slack bot on running services: the Bolt app, its intake and inbox, the scheduler
delivering to Slack, and the identity graph's review posts (:func:`slack_bot`).

``crosswire serve`` builds it; a command that never talks to Slack (``crosswire ask``) builds
the services alone (:func:`bot.wiring.running`) and loads none of this.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

import structlog
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.app import build_app
from bot.inbox import AskInbox, working_inbox
from bot.intake import Intake
from bot.listeners import identity_review
from bot.listeners.actions import Approvals
from bot.listeners.identity_review import ReviewClicks
from bot.listeners.schedules import SlackSchedules
from bot.pacing import EdgeActivity
from bot.people import SlackPeople
from bot.periodic import Periodic
from bot.reporters.approvals import SlackApprovalNotifier
from bot.reporters.identity_reviews import IdentityReviews, admins_of
from bot.reporters.mailroom import SlackMailroom
from bot.reporters.previews import SlackPreviewNotifier
from bot.reporters.slack import SlackReporter
from bot.reporters.terminal import TerminalReporter
from bot.settings import Settings
from bot.startup import StartupError
from bot.wiring import IDENTITY_REFRESH_S, Services, running
from connectors.graph.review_posts import ReviewPosts
from workflows.approvals.policy import ApprovalPolicy
from workflows.clock import Clock
from workflows.errors import DeliveryError
from workflows.inbox import Inbox
from workflows.ports import ApprovalNotifier, People, RunReporter
from workflows.schedules.briefings import MeetingBriefings
from workflows.schedules.calendars import CatalogCalendars
from workflows.schedules.declared import DeclaredError, declare_schedules
from workflows.schedules.firing import ScheduleFiring
from workflows.schedules.ports import Roster
from workflows.schedules.service import Scheduler

log = structlog.get_logger(__name__)


def review_poster(reviews: IdentityReviews) -> Periodic:
    """Put the identity graph's new "maybe" pairs to its admins now and after every refresh
    (each pair once: see :mod:`bot.reporters.identity_reviews`)."""
    return Periodic(
        "crosswire.identity_reviews",
        reviews.post_pending,
        IDENTITY_REFRESH_S,
        failed="identity.reviews_not_posted",
        blips=(SQLAlchemyError, OSError, DeliveryError),
        first_at_once=True,
    )


@dataclass(frozen=True)
class SlackBot:
    app: AsyncApp
    services: Services
    inbox: AskInbox
    scheduler: Scheduler


def build_scheduler(services: Services, client: AsyncWebClient) -> Scheduler:
    """The scheduler, delivering to Slack through ``client``: cron schedules and pre-meeting
    briefings through the same engine, audit and delivery as a typed request."""
    settings, store = services.settings, services.schedules
    mailroom = SlackMailroom(client, services.directory)
    parts = (services.engine, services.audit, mailroom, services.clock)
    return Scheduler(
        store=store,
        firing=ScheduleFiring(store, *parts),
        briefings=MeetingBriefings(
            CatalogCalendars(services.catalog),
            services.directory,
            store,
            *parts,
            default_lead=settings.briefing_lead,
        ),
        clock=services.clock,
        database_url=settings.audit_database_url,
        sync_s=settings.schedule_sync_s,
    )


@asynccontextmanager
async def slack_bot(
    settings: Settings,
    client: AsyncWebClient,
    *,
    signing_secret: str,
    replica: bool = False,
    clock: Clock | None = None,
) -> AsyncIterator[SlackBot]:
    """The Bolt app on running services, reporting to Slack through ``client``; every
    service (the intake's "received at" too) reads the time from ``clock``.

    Runs give way to the app's acknowledgements under load (:mod:`bot.pacing`)."""
    activity = EdgeActivity()
    reporters: dict[str, RunReporter] = {
        "slack": SlackReporter(client),
        "cli": TerminalReporter(show_progress=False),
    }
    pacer = activity.wait_quiet
    # What a dead replica had acknowledged is taken over once the inbox below is up.
    takeovers: list[Callable[[str], Awaitable[object]]] = []
    channel = settings.approvals_channel

    def in_slack(people: People, policy: ApprovalPolicy) -> ApprovalNotifier:
        return SlackApprovalNotifier(client, people, channel, policy)

    async with running(
        settings,
        reporters,
        clock=clock,
        replica=replica,
        pacer=pacer,
        takeovers=takeovers,
        notifier=in_slack,
        previewer=partial(SlackPreviewNotifier, client),
    ) as services:
        people = SlackPeople(client, services.directory, clock=services.clock)
        intake = Intake(
            engine=services.engine,
            audit=services.audit,
            people=people,
            client=client,
            clock=services.clock,
        )
        store = Inbox.on(settings.audit_database_url, settings.executor_id, services.clock)
        scheduler = build_scheduler(services, client)
        async with (
            working_inbox(store, intake, pace=pacer) as inbox,
            scheduling(scheduler, settings, services.directory),
        ):
            takeovers.append(inbox.take_over)
            app = build_app(
                client=client,
                signing_secret=signing_secret,
                intake=intake,
                inbox=inbox,
                activity=activity,
                approvals=Approvals.at(services.desk, people),
                schedules=SlackSchedules(
                    store=services.schedules,
                    people=people,
                    clock=services.clock,
                    changed=scheduler.changed,
                    default_lead=settings.briefing_lead,
                ),
            )
            reviews = IdentityReviews(
                client,
                services.directory,
                ReviewPosts(services.audit.engine, services.clock),
                admins_of(settings.identity_admins),
                services.clock,
            )
            identity_review.register(app, ReviewClicks(reviews, services.audit, people))
            poster = review_poster(reviews)
            poster.start()
            try:
                yield SlackBot(app, services, inbox, scheduler)
            finally:
                await poster.stop()


@asynccontextmanager
async def scheduling(
    scheduler: Scheduler, settings: Settings, roster: Roster
) -> AsyncIterator[Scheduler]:
    """The scheduler running (leading, or ready to take over) for as long as the bot serves;
    the schedules an admin declared in ``CROSSWIRE_SCHEDULES_FILE`` are added first. With
    ``CROSSWIRE_SCHEDULER=off`` nothing fires here (another replica, or nobody, runs them)."""
    if not settings.scheduler:
        yield scheduler
        return
    if settings.schedules_file is not None:
        try:
            await declare_schedules(scheduler.store, settings.schedules_file, roster)
        except DeclaredError as exc:
            raise StartupError(f"CROSSWIRE_SCHEDULES_FILE: {exc}") from None
    await scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()
