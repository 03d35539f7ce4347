"""Signing and payload builders, proven against slack_sdk's verifier and a real Bolt AsyncApp;
and Crosswire's own verification: nothing unverifiable reaches the app or makes it call Slack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import CrosswireApp, on_error
from bot.http import EVENTS_PATH, bound_port, start_http
from bot.sandbox import payloads
from bot.sandbox.signing import sign, signed_headers
from bot.sandbox.slack_api import SlackWebApiStandIn
from bot.settings import Settings
from bot.verify import VERIFIED, RequestVerifier
from tests.harness import CHANNEL, DANA, SlackHarness, start_harness

SECRET = "sandbox-signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[SlackWebApiStandIn]:
    async with SlackWebApiStandIn() as standin:
        yield standin


@pytest.fixture
def app(slack: SlackWebApiStandIn) -> AsyncApp:
    client = AsyncWebClient(base_url=slack.base_url, token="xoxb-sandbox")
    return AsyncApp(client=client, signing_secret=SECRET)


async def dispatch(app: AsyncApp, payload: payloads.Payload, **kwargs: Any) -> BoltResponse:
    body = payload.body.encode()
    headers = signed_headers(body, SECRET, content_type=payload.content_type, **kwargs)
    return await app.async_dispatch(AsyncBoltRequest(body=payload.body, headers=bolt(headers)))


def bolt(headers: dict[str, str]) -> dict[str, str | Sequence[str]]:
    """Bolt's request type wants `str | Sequence[str]` values; `dict` is invariant."""
    return dict(headers)


def test_sign_matches_slack_sdk_verifier() -> None:
    body = payloads.app_mention("hi", user="U1", channel="C1").body.encode()
    ts = int(time.time())
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body=body, timestamp=str(ts), signature=sign(body, SECRET, ts))
    assert not verifier.is_valid(
        body=body + b" ", timestamp=str(ts), signature=sign(body, SECRET, ts)
    )
    assert not verifier.is_valid(body=body, timestamp=str(ts), signature=sign(body, "other", ts))


def test_signed_headers_verify_and_carry_retry_headers() -> None:
    body = b"payload=%7B%7D"
    headers = signed_headers(
        body, SECRET, retry_num=2, retry_reason="http_timeout", content_type=payloads.FORM
    )
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert abs(int(headers["X-Slack-Request-Timestamp"]) - time.time()) < 5
    assert headers["Content-Type"] == payloads.FORM
    assert headers["X-Slack-Retry-Num"] == "2"
    assert headers["X-Slack-Retry-Reason"] == "http_timeout"
    plain = signed_headers(body, SECRET, timestamp=1700000000, content_type=payloads.JSON)
    assert plain["X-Slack-Signature"] == sign(body, SECRET, 1700000000)
    assert "X-Slack-Retry-Num" not in plain


async def test_bolt_accepts_signed_app_mention_and_runs_listener(app: AsyncApp) -> None:
    seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any]) -> None:
        await seen.put(event)

    payload = payloads.app_mention(
        "deploy status?", user="U1", channel="C1", ts="1700000001.000100", event_id="Ev1"
    )
    resp = await dispatch(app, payload)

    assert resp.status == 200
    event = await asyncio.wait_for(seen.get(), 2.0)
    assert event["text"] == f"<@{payloads.SANDBOX_BOT_USER_ID}> deploy status?"
    assert (event["user"], event["channel"], event["ts"]) == ("U1", "C1", "1700000001.000100")


async def test_bolt_rejects_tampered_and_stale_requests(app: AsyncApp) -> None:
    payload = payloads.app_mention("hi", user="U1", channel="C1")
    headers = signed_headers(payload.body.encode(), SECRET, content_type=payload.content_type)
    tampered = payload.body.replace("hi", "rm -rf")
    resp = await app.async_dispatch(AsyncBoltRequest(body=tampered, headers=bolt(headers)))
    assert resp.status == 401
    stale = await dispatch(app, payload, timestamp=int(time.time()) - 600)
    assert stale.status == 401


async def test_bolt_parses_slash_command(app: AsyncApp) -> None:
    texts: list[str] = []

    @app.command("/crosswire")
    async def on_command(ack: Any, command: dict[str, Any]) -> None:
        texts.append(command["text"])
        await ack()

    resp = await dispatch(
        app, payloads.slash_command("status & more", user_id="U1", channel_id="C1")
    )

    assert resp.status == 200
    assert texts == ["status & more"]


async def test_bolt_parses_block_action(app: AsyncApp) -> None:
    seen: list[tuple[str, str, str]] = []

    @app.action("approve")
    async def on_approve(ack: Any, action: dict[str, Any], body: dict[str, Any]) -> None:
        seen.append((action["value"], body["user"]["id"], body["container"]["message_ts"]))
        await ack()

    payload = payloads.block_action(
        "approve", "run-42", user_id="U1", channel_id="C1", message_ts="1700000000.000100"
    )
    resp = await dispatch(app, payload)

    assert resp.status == 200
    assert seen == [("run-42", "U1", "1700000000.000100")]


async def test_bolt_answers_url_verification(app: AsyncApp) -> None:
    resp = await dispatch(app, payloads.url_verification("challenge-xyz"))
    assert resp.status == 200
    assert "challenge-xyz" in resp.body


async def test_bolt_routes_dm_and_app_home(app: AsyncApp) -> None:
    seen: asyncio.Queue[str] = asyncio.Queue()

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        await seen.put(f"{event['channel_type']}:{event['text']}")

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any]) -> None:
        await seen.put(f"home:{event['user']}")

    dm = payloads.direct_message("hello", user="U1", channel="D1")
    assert (await dispatch(app, dm)).status == 200
    assert await asyncio.wait_for(seen.get(), 2.0) == "im:hello"
    assert (await dispatch(app, payloads.app_home_opened("U1"))).status == 200
    assert await asyncio.wait_for(seen.get(), 2.0) == "home:U1"


def test_event_payloads_carry_slack_envelope_fields() -> None:
    body = json.loads(payloads.app_mention("x", user="U1", channel="C1", thread_ts="1.2").body)
    assert body["type"] == "event_callback"
    assert body["event_id"].startswith("Ev")
    assert body["authorizations"][0]["user_id"] == payloads.SANDBOX_BOT_USER_ID
    assert body["api_app_id"] == payloads.SANDBOX_APP_ID
    assert isinstance(body["event_time"], int)
    assert body["event"]["thread_ts"] == "1.2"
    mention = payloads.app_mention(f"<@{payloads.SANDBOX_BOT_USER_ID}> once", user="U", channel="C")
    assert json.loads(mention.body)["event"]["text"].count("<@") == 1


def test_block_action_payload_has_real_fields() -> None:
    payload = payloads.block_action("a", "v", user_id="U1", channel_id="C1", message_ts="1.2")
    [raw] = parse_qs(payload.body)["payload"]
    body = json.loads(raw)
    assert body["channel"]["id"] == body["container"]["channel_id"] == "C1"
    assert body["message"]["ts"] == "1.2"
    assert body["actions"][0]["action_ts"]
    assert body["response_url"].startswith("https://")


# ---------------------------------------------------------------- Crosswire's own verification

NOW = 1_800_000_000.0
BODY = payloads.app_mention("hi", user="U1", channel="C1").body


def verifier() -> RequestVerifier:
    return RequestVerifier(SECRET, now=lambda: NOW)


@pytest.mark.parametrize(
    ("timestamp", "signature", "reason"),
    [
        (None, "v0=" + "0" * 64, "no timestamp"),
        ("", "v0=" + "0" * 64, "no timestamp"),
        ("abc", "v0=" + "0" * 64, "timestamp is not a whole number of seconds"),
        ("1.5", "v0=" + "0" * 64, "timestamp is not a whole number of seconds"),
        (" 1800000000", "v0=" + "0" * 64, "timestamp is not a whole number of seconds"),
        ("-1800000000", "v0=" + "0" * 64, "timestamp is not a whole number of seconds"),
        ("9" * 40, "v0=" + "0" * 64, "timestamp is not a whole number of seconds"),
        (str(int(NOW) - 301), None, "timestamp is more than 5 minutes off"),
        (str(int(NOW) + 301), None, "timestamp is more than 5 minutes off"),
        (str(int(NOW)), None, "no signature"),
        (str(int(NOW)), "", "no signature"),
        (str(int(NOW)), "v1=" + "0" * 64, "signature is not v0= and hex"),
        (str(int(NOW)), "v0=" + "Z" * 64, "signature is not v0= and hex"),
        (str(int(NOW)), "v0=abc", "signature is not v0= and hex"),
        (str(int(NOW)), "v0=" + "0" * 64, "signature does not match"),
    ],
)
def test_unverifiable_headers_are_refused_with_a_reason(
    timestamp: str | None, signature: str | None, reason: str
) -> None:
    assert verifier().refusal(BODY, timestamp, signature) == reason


def test_a_signature_verifies_within_five_minutes_of_the_injected_clock() -> None:
    for skew in (-300, 0, 300):
        ts = int(NOW) + skew
        assert verifier().refusal(BODY, str(ts), sign(BODY.encode(), SECRET, ts)) is None
    other = sign(BODY.encode(), "another-secret", int(NOW))
    assert verifier().refusal(BODY, str(int(NOW)), other) == "signature does not match"
    assert RequestVerifier("").refusal(BODY, str(int(NOW)), other) is not None


UNVERIFIABLE: list[dict[str, str]] = [
    {"X-Slack-Request-Timestamp": "abc"},
    {"X-Slack-Request-Timestamp": ""},
    {"X-Slack-Request-Timestamp": "1.5", "X-Slack-Signature": "v0=" + "0" * 64},
    {"X-Slack-Signature": "v0=" + "0" * 64},
    {"X-Slack-Request-Timestamp": str(int(time.time()) - 600)},
    {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=nothex"},
    {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "a" * 64},
    {},
]
VICTIM = json.dumps(
    {"type": "event_callback", "event": {"type": "app_mention", "channel": "CVICTIM", "ts": "1.1"}}
)


@pytest.fixture
async def crosswire(settings: Settings) -> AsyncIterator[SlackHarness]:
    async with start_harness(settings) as harness:
        yield harness


@pytest.mark.parametrize("headers", UNVERIFIABLE)
async def test_an_unverifiable_request_dispatched_in_process_gets_401_and_no_web_api_call(
    crosswire: SlackHarness, headers: dict[str, str]
) -> None:
    request_headers = bolt({**headers, "Content-Type": payloads.JSON})
    resp = await crosswire.app.async_dispatch(
        AsyncBoltRequest(body=VICTIM, headers=request_headers)
    )
    assert resp.status == 401
    await asyncio.sleep(0.05)  # anything the request started would have called by now
    assert crosswire.standin.calls == []


async def test_the_curl_repro_over_http_gets_401_and_the_bot_posts_nothing(
    crosswire: SlackHarness,
) -> None:
    runner = await start_http(crosswire.app, host="127.0.0.1", port=0)
    url = f"http://127.0.0.1:{bound_port(runner)}{EVENTS_PATH}"
    try:
        async with aiohttp.ClientSession() as session:
            for headers in UNVERIFIABLE:
                sent = {**headers, "Content-Type": payloads.JSON}
                async with session.post(url, data=VICTIM.encode(), headers=sent) as response:
                    assert response.status == 401
                    assert "Traceback" not in await response.text()
    finally:
        await runner.cleanup()
    await asyncio.sleep(0.05)
    assert crosswire.standin.calls == []


async def test_a_refused_request_is_logged_once_with_its_reason_and_without_its_body(
    crosswire: SlackHarness,
) -> None:
    runner = await start_http(crosswire.app, host="127.0.0.1", port=0)
    url = f"http://127.0.0.1:{bound_port(runner)}{EVENTS_PATH}"
    try:
        with structlog.testing.capture_logs() as logs:
            async with aiohttp.ClientSession() as session:
                headers = {"X-Slack-Request-Timestamp": "abc", "Content-Type": payloads.JSON}
                async with session.post(url, data=VICTIM.encode(), headers=headers) as response:
                    assert response.status == 401
    finally:
        await runner.cleanup()
    refused = [e for e in logs if e["event"] == "slack.request_refused"]
    assert len(refused) == 1
    assert refused[0]["reason"] == "timestamp is not a whole number of seconds"
    assert refused[0]["remote"] == "127.0.0.1"
    assert refused[0]["log_level"] == "warning"
    assert "CVICTIM" not in json.dumps(logs, default=str)
    assert not [e for e in logs if e["log_level"] == "error"]


async def test_the_error_handler_apologises_only_for_verified_requests(
    crosswire: SlackHarness,
) -> None:
    client = AsyncWebClient(base_url=crosswire.standin.base_url, token="xoxb-test")
    body = json.loads(VICTIM)
    await on_error(RuntimeError("boom"), body, AsyncBoltContext(), client)
    assert crosswire.standin.calls == []
    await on_error(RuntimeError("boom"), body, AsyncBoltContext({VERIFIED: True}), client)
    [apology] = crosswire.standin.calls_to("chat.postMessage")
    assert (apology.args["channel"], apology.args["thread_ts"]) == ("CVICTIM", "1.1")


async def test_a_signed_request_still_reaches_the_app_and_is_marked_verified(
    crosswire: SlackHarness,
) -> None:
    mention = payloads.app_mention("brief me on Acme", user=DANA, channel=CHANNEL)
    assert (await crosswire.send(mention)).status == 200
    assert await crosswire.wait_for_answers()


async def test_a_verified_requests_text_arrives_without_nul_or_lone_surrogates(
    slack: SlackWebApiStandIn,
) -> None:
    client = AsyncWebClient(base_url=slack.base_url, token="xoxb-sandbox")
    app = CrosswireApp(client=client, verifier=RequestVerifier(SECRET))
    seen: asyncio.Queue[str] = asyncio.Queue()

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any]) -> None:
        await seen.put(event["text"])

    payload = payloads.app_mention("brief\x00 me \ud800on Acme", user="U1", channel="C1")
    body = payload.body.encode()
    headers = signed_headers(body, SECRET, content_type=payload.content_type)
    resp = await app.async_dispatch(AsyncBoltRequest(body=payload.body, headers=bolt(headers)))
    assert resp.status == 200
    text = await asyncio.wait_for(seen.get(), 2.0)
    assert text.endswith("brief me \ufffdon Acme")
