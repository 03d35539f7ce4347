"""Every connected system misbehaving in turn, over a real briefing: Stripe as billing, HubSpot
as the CRM, Zendesk as the support desk, Gmail as the mailbox and Google Calendar as the
calendar, all connected at once to their local stand-ins through the composition root (real
DBOS on SQLite, the real briefing workflow, the audit store).

For each system and each fault (503 for good, hung, a 429 asking for a longer wait than a run
allows, a body that is not JSON, refused credentials) the answer still arrives: the Acme
briefing with that system's section named as missing and why in plain words (refused
credentials say so, and never "try again") and every other section as in a healthy briefing;
the calendar is the spine of today's meetings digest, so its fault costs the digest, named
the same way. The audit records the failed step with its kind and reason. A system down or
hung for good opens its breaker, and the next answer skips it without calling it (its
stand-in sees no request). Waits (backoff, budgets) move the injected clock instead of
sleeping; the stand-ins and services are shared by every case and healed in between."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import pytest
import pytest_asyncio

from bot.reporters.terminal import TerminalReporter
from bot.settings import Settings, environment_names
from bot.wiring import Services, running
from connectors.config import ConnectorsConfig
from connectors.demo import open_demo_world
from connectors.google import standin as google_faults
from connectors.google.standin import GoogleStandIn
from connectors.hubspot import standin as hubspot_faults
from connectors.hubspot.standin import HubSpotStandIn
from connectors.standin import Misbehaviour, StandInServer, garbage, hang, unavailable
from connectors.stripe import standin as stripe_faults
from connectors.stripe.standin import StripeStandIn
from connectors.zendesk import standin as zendesk_faults
from connectors.zendesk.standin import ZendeskStandIn
from tests.connectors.demo_env import NOW
from tests.connectors.google_env import DANA, google_standin, write_key_file
from workflows.answers import Briefing, Digest, Notice, RunAnswer
from workflows.audit import AuditEvent
from workflows.clock import ManualClock
from workflows.engine import CircuitBreakers
from workflows.engine.resilience import ClockSleep
from workflows.models import Principal, RunRequest

pytestmark = pytest.mark.asyncio(loop_scope="module")

BRIEFING: Final = "brief me on Acme"
DIGEST: Final = "today's customer meetings"
HANG_S: Final = 5.0  # far past every time limit below
ASKED_TO_WAIT: Final = "120"  # seconds: more than a run waits (retry_after_max_s, 30 s)
FAULTS: Final = ("down", "hung", "throttled", "garbage", "refused")


@dataclass(frozen=True)
class Vendor:
    """One connected system: its id, the vendor's name in errors, where its API lives on
    the stand-in, the question whose answer reads it, and its vendor's fault bodies."""

    system: str
    name: str
    prefix: str
    asks: str
    throttled: Callable[[str], Misbehaviour]
    garbage: Callable[[], Misbehaviour]


VENDORS: Final = {
    "billing": Vendor("billing", "Stripe", "/v1/", BRIEFING, stripe_faults.throttled,
                      stripe_faults.garbage),
    "crm": Vendor("crm", "HubSpot", "/crm/v3/", BRIEFING, hubspot_faults.throttled,
                  hubspot_faults.garbage),
    "support": Vendor("support", "Zendesk", "/api/v2/", BRIEFING, zendesk_faults.throttled,
                      zendesk_faults.garbage),
    "email": Vendor("email", "Gmail", "/gmail/v1/", BRIEFING, google_faults.throttled, garbage),
    "calendar": Vendor("calendar", "Google Calendar", "/calendar/v3/", DIGEST,
                       google_faults.throttled, garbage),
}  # fmt: skip

# What each fault is recorded as: the failure's kind, and words its reason must carry.
EXPECTED: Final[dict[str, tuple[set[str], Callable[[Vendor], str]]]] = {
    "down": ({"transient"}, lambda v: f"{v.name} is not responding (503)"),
    "hung": ({"late", "timeout"}, lambda v: ""),
    "throttled": (
        {"transient"},
        lambda v: f"{v.name} is rate limiting us (429, asked to wait {ASKED_TO_WAIT}s)",
    ),
    "garbage": ({"transient"}, lambda v: f"{v.name} answered with something that is not JSON"),
    "refused": ({"permanent"}, lambda v: "credentials"),
}


@dataclass
class Connected:
    """The services of ``crosswire ask`` over every vendor's stand-in."""

    services: Services
    clock: ManualClock
    stripe: StripeStandIn
    hubspot: HubSpotStandIn
    zendesk: ZendeskStandIn
    google: GoogleStandIn
    keys: dict[str, str]

    def standin(self, vendor: Vendor) -> StandInServer[Any]:
        by_system: dict[str, StandInServer[Any]] = {
            "billing": self.stripe, "crm": self.hubspot, "support": self.zendesk,
            "email": self.google, "calendar": self.google,
        }  # fmt: skip
        return by_system[vendor.system]

    def calls(self, vendor: Vendor) -> int:
        """How many requests the vendor's API has seen so far."""
        return sum(s.path.startswith(vendor.prefix) for s in self.standin(vendor).seen)

    def break_down(self, vendor: Vendor, fault: str) -> None:
        """Make ``vendor`` misbehave with ``fault`` until :meth:`heal`."""
        server = self.standin(vendor)
        match fault:
            case "down":
                server.break_down(unavailable(503), on=vendor.prefix)
            case "hung":
                server.break_down(hang(HANG_S), on=vendor.prefix)
            case "throttled":
                server.break_down(vendor.throttled(ASKED_TO_WAIT), on=vendor.prefix)
            case "garbage":
                server.break_down(vendor.garbage(), on=vendor.prefix)
            case "refused":
                self.revoke(vendor)

    def revoke(self, vendor: Vendor) -> None:
        """The vendor no longer accepts our credentials (the key was revoked at its end)."""
        match vendor.system:
            case "billing":
                self.stripe.api_key = "sk_test_revoked"
            case "crm":
                self.hubspot.access_token = "pat-na1-revoked"
            case "support":
                self.zendesk.api_token = "revoked"
            case _:  # delegation withdrawn: tokens handed out expire, and no new one for Dana
                self.google.subjects.discard(DANA)
                self.google.expire_tokens()

    def heal(self) -> None:
        for server in (self.stripe, self.hubspot, self.zendesk, self.google):
            server.heal()
        self.stripe.api_key = self.keys["s"]
        self.hubspot.access_token = self.keys["h"]
        self.zendesk.api_token = self.keys["z"]
        self.google.subjects.add(DANA)

    async def ask(self, text: str) -> RunAnswer:
        employee = self.services.directory.find_employee(DANA)
        assert employee is not None
        dana = Principal(email=employee.email, name=employee.name, roles=tuple(employee.roles))
        request = RunRequest.direct(text, dana, received_at=self.clock.now())
        return await self.services.engine.run(request)

    async def step_of(self, answer: RunAnswer, vendor: Vendor) -> AuditEvent:
        """The audit's record of the step that read ``vendor`` in ``answer``'s run."""
        detail = await self.services.audit.get_run(answer.run_id)
        assert detail is not None and detail.run.status == "completed", detail
        [step] = [e for e in detail.steps if e.system == vendor.system]
        return step


def settings_for(state: Path, connectors: ConnectorsConfig) -> Settings:
    """``crosswire ask``'s settings with every vendor connected; a hung system is cut off
    0.3 s after the others answered, and a wave it is alone in after 2.5 s."""
    return Settings(
        state_dir=state, database_url="", executor_id="faults", scheduler=False,
        previews=False, connectors=connectors, step_timeout_s=1.0, run_deadline_s=2.5,
        late_grace_s=0.3, demo_latency="", demo_faults="", anthropic_api_key=None,
        slack_bot_token=None, slack_app_token=None, slack_signing_secret=None,
    )  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def connected(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Connected]:
    folder = tmp_path_factory.mktemp("fault-matrix")
    clock = ManualClock(NOW)
    with pytest.MonkeyPatch.context() as env:
        for name in environment_names():
            env.delenv(name, raising=False)
        env.setenv("CROSSWIRE_TEST_NO_NETWORK", "1")
        async with AsyncExitStack() as stack:
            stripe = stack.enter_context(StripeStandIn())
            hubspot = stack.enter_context(HubSpotStandIn())
            zendesk = stack.enter_context(ZendeskStandIn())
            google = stack.enter_context(google_standin(clock))
            world = await open_demo_world(folder / "seed.sqlite", clock=clock)
            for server in (stripe, hubspot, zendesk, google):
                await server.seed_from(world)
            await world.close()
            connectors = ConnectorsConfig.model_validate({
                "stripe": {"base_url": stripe.url, "api_key": stripe.api_key},
                "hubspot": {"base_url": hubspot.url, "access_token": hubspot.access_token},
                "zendesk": {"base_url": zendesk.url, "email": zendesk.email,
                            "api_token": zendesk.api_token},
                "google": {"key_file": str(write_key_file(folder)), "subject": DANA,
                           "token_url": google.token_url, "gmail_url": google.url,
                           "calendar_url": google.url},
            })  # fmt: skip
            terminal = {"cli": TerminalReporter(show_progress=False)}
            services = await stack.enter_async_context(
                running(
                    settings_for(folder / ".crosswire", connectors),
                    terminal,
                    clock=clock,
                    sleep=ClockSleep(clock),
                )
            )
            keys = {"s": stripe.api_key, "h": hubspot.access_token, "z": zendesk.api_token}
            yield Connected(services, clock, stripe, hubspot, zendesk, google, keys)


async def healthy(connected: Connected) -> Briefing:
    """Heal every vendor, let every breaker's cooldown pass, and brief once with all of them
    answering (which closes any breaker a case before left open)."""
    connected.heal()
    cooldown = connected.services.settings.breaker_cooldown_s
    connected.clock.advance(timedelta(seconds=cooldown + 1))
    briefing = await connected.ask(BRIEFING)
    assert isinstance(briefing, Briefing)
    assert [s.key for s in briefing.sections if s.status != "ok"] == []
    return briefing


def assert_gap_named(answer: RunAnswer, baseline: Briefing, vendor: Vendor, words: str) -> str:
    """The answer names ``vendor``'s part as missing, with ``words`` in the reason, and is
    otherwise as healthy; returns the reason shown."""
    if vendor.asks == DIGEST:  # the meetings come from the calendar: no digest without it
        assert isinstance(answer, Notice), answer
        assert answer.title == "I could not read today's meetings"
        assert answer.text.startswith("Calendar "), answer.text
        shown = answer.text
    else:
        assert isinstance(answer, Briefing), answer
        sections = {s.key: s for s in answer.sections}
        gap = sections[vendor.system]
        assert gap.status == "unavailable" and gap.note.endswith("; this section is missing.")
        others = [s for s in baseline.sections if s.key != vendor.system]
        assert [s for s in answer.sections if s.key != vendor.system] == others
        shown = gap.note
    assert words in shown, shown
    return shown


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("system", list(VENDORS))
async def test_a_faulty_system_costs_its_part_of_the_answer_named_and_is_then_skipped(
    connected: Connected, system: str, fault: str
) -> None:
    vendor = VENDORS[system]
    baseline = await healthy(connected)
    if vendor.asks == DIGEST:
        digest = await connected.ask(DIGEST)
        assert isinstance(digest, Digest) and digest.meetings, digest
    connected.break_down(vendor, fault)
    kinds, words = EXPECTED[fault]

    answer = await connected.ask(vendor.asks)

    shown = assert_gap_named(answer, baseline, vendor, words(vendor))
    step = await connected.step_of(answer, vendor)
    assert step.status == "failed" and step.detail["failure"] in kinds, step
    assert words(vendor) in step.detail["error"]
    if fault == "hung":  # cut off after the others answered, or its own time limit
        assert "did not answer in time" in shown, shown
        assert any(w in step.detail["error"] for w in ("skipped after", "no answer within"))
    if fault == "refused":
        assert "try again" not in shown.lower()
        assert step.detail["attempts"] == 1  # refused credentials are not asked again
    if fault not in ("down", "hung"):
        return
    # Each answer meets the dead system until its breaker opens; the next one skips it.
    failing = 1
    while True:
        calls = connected.calls(vendor)
        answer = await connected.ask(vendor.asks)
        step = await connected.step_of(answer, vendor)
        if step.detail["failure"] == "circuit_open":
            break
        assert_gap_named(answer, baseline, vendor, words(vendor))
        failing += 1
        assert failing <= CircuitBreakers().threshold, "the breaker never opened"
    opened_after = connected.services.settings.breaker_timeouts
    assert failing == (opened_after if fault == "hung" else CircuitBreakers().threshold)
    assert connected.calls(vendor) == calls  # not asked at all: no time spent on it
    assert step.detail["attempts"] == 0
    assert_gap_named(answer, baseline, vendor, "")
    if vendor.asks == BRIEFING:
        assert isinstance(answer, Briefing)
        note = next(s.note for s in answer.sections if s.key == vendor.system)
        assert "so it was not asked this time" in note, note
