"""Signing and payload builders, proven against slack_sdk's verifier and a real Bolt AsyncApp."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import payloads
from bot.sandbox.signing import sign, signed_headers
from bot.sandbox.slack_api import SlackWebApiStandIn

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
