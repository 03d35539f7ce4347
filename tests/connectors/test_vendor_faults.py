"""HubSpot and Zendesk misbehaving, through the one place resilience lives (the operation
caller): a 429 with Retry-After is waited out as asked, 5xx, broken bodies and hangs are
retried, a refused token fails at once and plainly, and the token never shows in an error, a
health report or a log line. Waits move a ManualClock (no sleeping on it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from connectors.hubspot import HubSpotConnector
from connectors.hubspot import standin as hubspot_standin
from connectors.hubspot.standin import HubSpotStandIn
from connectors.standin import hang, unavailable
from connectors.zendesk import ZendeskConnector
from connectors.zendesk import standin as zendesk_standin
from connectors.zendesk.standin import ZendeskStandIn
from tests.connectors.vendor_env import System, hubspot_http, system, zendesk_http
from workflows.catalog import CallContext
from workflows.engine import CircuitBreakers, OperationCaller, StepPolicy
from workflows.engine.resilience import ClockSleep
from workflows.results import StepResult

CTX = CallContext(run_id="run-1", step_id="read", requester_email="dana.reyes@northwind.example")
VENDORS = [("crm", "hubspot", "crm.get_account"), ("support", "zendesk", "support.open_tickets")]
LABELS = {"hubspot": "HubSpot", "zendesk": "Zendesk"}
THROTTLED = {"hubspot": hubspot_standin.throttled, "zendesk": zendesk_standin.throttled}
GARBAGE = {"hubspot": hubspot_standin.garbage, "zendesk": zendesk_standin.garbage}


async def read(s: System, name: str, *, attempts: int = 3) -> tuple[StepResult, ClockSleep]:
    sleep = ClockSleep(s.clock)
    caller = OperationCaller(
        policy=StepPolicy(timeout_s=5, attempts=attempts, backoff_initial_s=0.2),
        breakers=CircuitBreakers(clock=s.clock),
        clock=s.clock,
        sleep=sleep,
    )
    account = s.directory.resolve_account("Acme").account
    assert account is not None
    args: dict[str, Any] = {"account": account.model_dump(mode="json")}
    return await caller.call(s.operations[name], [args], CTX), sleep


@pytest.mark.parametrize(("system_id", "vendor", "operation"), VENDORS)
async def test_a_429_is_waited_out_as_long_as_asked(
    system_id: str, vendor: str, operation: str, tmp_path: Path
) -> None:
    async with system(system_id, vendor, tmp_path) as s:
        assert s.standin is not None
        s.standin.script(THROTTLED[vendor](retry_after="4"))
        result, sleep = await read(s, operation)
    assert (result.status, result.attempts) == ("ok", 2)
    assert 4 <= sleep.waits[0] <= 4.2


@pytest.mark.parametrize(("system_id", "vendor", "operation"), VENDORS)
@pytest.mark.parametrize("fault", ["503", "502", "garbage"])
async def test_a_transient_fault_is_retried(
    system_id: str, vendor: str, operation: str, fault: str, tmp_path: Path
) -> None:
    async with system(system_id, vendor, tmp_path) as s:
        assert s.standin is not None
        s.standin.script(GARBAGE[vendor]() if fault == "garbage" else unavailable(int(fault)))
        result, sleep = await read(s, operation)
    assert (result.status, result.attempts) == ("ok", 2)
    assert len(sleep.waits) == 1 and 0.2 <= sleep.waits[0] <= 0.4


@pytest.mark.parametrize(("system_id", "vendor", "operation"), VENDORS)
async def test_a_hung_answer_is_a_timeout_then_retried(
    system_id: str, vendor: str, operation: str, tmp_path: Path
) -> None:
    async with system(system_id, vendor, tmp_path, timeout=0.2) as s:
        assert s.standin is not None
        s.standin.script(hang(1.0))
        result, _ = await read(s, operation)
    assert (result.status, result.attempts) == ("ok", 2)


@pytest.mark.parametrize(("system_id", "vendor", "operation"), VENDORS)
async def test_a_system_down_for_good_is_a_named_gap(
    system_id: str, vendor: str, operation: str, tmp_path: Path
) -> None:
    async with system(system_id, vendor, tmp_path) as s:
        assert s.standin is not None
        s.standin.script(*[unavailable(503)] * 3)
        result, _ = await read(s, operation)
    assert (result.status, result.failure, result.attempts) == ("failed", "transient", 3)
    assert result.error == f"{LABELS[vendor]} is not responding (503)"


@pytest.mark.parametrize(("system_id", "vendor", "operation"), VENDORS)
async def test_a_refused_token_fails_at_once_and_never_shows(
    system_id: str, vendor: str, operation: str, tmp_path: Path
) -> None:
    wrong = "pat-na1-WrongTokenThatMustNeverBeShown-0042"
    async with system(system_id, vendor, tmp_path) as s:
        connector: HubSpotConnector | ZendeskConnector
        if isinstance(s.standin, HubSpotStandIn):
            connector = HubSpotConnector(hubspot_http(s.standin, token=wrong), clock=s.clock)
        else:
            assert isinstance(s.standin, ZendeskStandIn)
            connector = ZendeskConnector(zendesk_http(s.standin, token=wrong), clock=s.clock)
        s.operations = {op.name: op for op in connector.operations(s.directory)}
        with capture_logs() as logs:
            result, sleep = await read(s, operation)
            health = await connector.health()
        await connector.aclose()
    assert (result.status, result.failure, result.attempts) == ("failed", "permanent", 1)
    assert result.error == (
        f"{LABELS[vendor]} refused our credentials (401): the key may be wrong, expired or revoked"
    )
    assert sleep.waits == []
    assert (health[0].reachable, health[0].authorised) == (True, False)
    shown = f"{result.model_dump_json()} {logs} {[h.model_dump_json() for h in health]}"
    assert wrong not in shown and wrong[-8:] not in shown


@pytest.mark.parametrize(("system_id", "vendor", "operation"), VENDORS)
async def test_a_healthy_vendor_says_so(
    system_id: str, vendor: str, operation: str, tmp_path: Path
) -> None:
    async with system(system_id, vendor, tmp_path) as s:
        assert s.standin is not None
        connector: HubSpotConnector | ZendeskConnector
        if isinstance(s.standin, HubSpotStandIn):
            connector = HubSpotConnector(hubspot_http(s.standin), clock=s.clock)
        else:
            assert isinstance(s.standin, ZendeskStandIn)
            connector = ZendeskConnector(zendesk_http(s.standin), clock=s.clock)
        health = await connector.health()
        await connector.aclose()
    assert [(h.system, h.reachable, h.authorised) for h in health] == [(system_id, True, True)]


async def test_a_hubspot_search_is_read_page_after_page(tmp_path: Path) -> None:
    async with system("crm", "hubspot", tmp_path) as s:
        assert isinstance(s.standin, HubSpotStandIn)
        account = s.directory.resolve_account("Acme").account
        assert account is not None
        company = account.links["crm"]
        for n in range(230):  # on top of Acme's own
            s.standin.add("deals", f"d-9{n:04d}", {
                "dealname": f"Seat pack {n}", "amount": "1000.0", "dealstage": "Discovery",
                "closedate": f"2027-0{1 + n % 9}-{1 + n % 28:02d}T00:00:00.000Z",
            }, companies=[company])  # fmt: skip
        result, _ = await read(s, "crm.get_account")
        pages = [x.body for x in s.standin.seen if x.path == "/crm/v3/objects/deals/search"]
    assert result.status == "ok"
    deals = result.output["account"]["open_deals"]
    assert sum(d["id"].startswith("d-9") for d in deals) == 230
    assert [d["close_date"] for d in deals] == sorted(d["close_date"] for d in deals)
    assert len(pages) == 3 and "after" not in pages[0]
    assert [p["after"] for p in pages[1:]] == ["100", "200"]
