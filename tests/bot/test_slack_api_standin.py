"""Contract tests: slack_sdk's real AsyncWebClient against the Slack Web API stand-in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack_api import RecordedCall, SlackWebApiStandIn

TOKEN = "xoxb-sandbox"


@pytest.fixture
async def slack() -> AsyncIterator[SlackWebApiStandIn]:
    async with SlackWebApiStandIn() as standin:
        yield standin


@pytest.fixture
def client(slack: SlackWebApiStandIn) -> AsyncWebClient:
    return AsyncWebClient(base_url=slack.base_url, token=TOKEN)


async def test_base_url_is_local_with_trailing_api_slash(slack: SlackWebApiStandIn) -> None:
    assert slack.base_url.startswith("http://127.0.0.1:")
    assert slack.base_url.endswith("/api/")
    assert not slack.base_url.endswith(":0/api/")


async def test_auth_test_answers_bot_identity(
    slack: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    resp = await client.auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == slack.workspace.bot_user_id
    assert resp["team_id"] == slack.workspace.team_id
    assert resp["bot_id"] == slack.workspace.bot_id
    assert resp["url"].startswith("https://")
    assert slack.calls[-1] == RecordedCall("auth.test", {}, TOKEN, None)


async def test_post_then_update_shows_the_edit(
    slack: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*working*"}}]
    posted = await client.chat_postMessage(
        channel="C1", text="working", blocks=blocks, thread_ts="1.0"
    )
    second = await client.chat_postMessage(channel="C2", text="other")
    assert posted["channel"] == "C1"
    assert posted["message"]["text"] == "working"
    assert float(second["ts"]) > float(posted["ts"])

    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="done")

    assert updated["ts"] == posted["ts"]
    [msg] = slack.messages("C1")
    assert (msg.text, msg.blocks, msg.thread_ts, msg.ts) == ("done", None, "1.0", posted["ts"])
    assert msg.edits == 1
    assert msg.history[0].text == "working"
    assert msg.history[0].blocks == blocks
    assert [m.channel for m in slack.messages()] == ["C1", "C2"]


async def test_update_of_unknown_message_is_message_not_found(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel="C1", ts="123.456", text="x")
    assert err.value.response["error"] == "message_not_found"


async def test_messages_returns_copies(slack: SlackWebApiStandIn, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C1", text="a")
    slack.messages()[0].text = "mutated"
    assert slack.messages()[0].text == "a"


async def test_users_info_known_and_unknown(
    slack: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    slack.add_user("U1", "ada@example.com", "Ada Lovelace")
    resp = await client.users_info(user="U1")
    assert resp["user"]["profile"]["email"] == "ada@example.com"
    assert resp["user"]["real_name"] == "Ada Lovelace"
    assert resp["user"]["name"] == "ada"
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"


async def test_ephemeral_home_dm_and_reaction(
    slack: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    eph = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert eph["message_ts"]
    assert slack.workspace.ephemerals[0]["text"] == "only you"
    view = {"type": "home", "blocks": [{"type": "divider"}]}
    published = await client.views_publish(user_id="U1", view=view)
    assert published["view"]["type"] == "home"
    assert slack.workspace.home_views["U1"]["blocks"] == [{"type": "divider"}]
    dm = await client.conversations_open(users="U1")
    assert dm["channel"]["id"].startswith("D")
    posted = await client.chat_postMessage(channel=dm["channel"]["id"], text="hi")
    await client.reactions_add(channel=posted["channel"], timestamp=posted["ts"], name="eyes")
    assert slack.messages(dm["channel"]["id"])[0].reactions == ["eyes"]


async def test_unknown_method_is_http_200_ok_false(slack: SlackWebApiStandIn) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(slack.base_url + "no.such", data={"token": TOKEN}) as resp,
    ):
        assert resp.status == 200
        assert await resp.json() == {"ok": False, "error": "unknown_method"}
    assert slack.calls[-1].token == TOKEN


async def test_form_encoded_args_and_missing_token(slack: SlackWebApiStandIn) -> None:
    form = {"token": TOKEN, "channel": "C9", "blocks": json.dumps([{"type": "divider"}])}
    async with aiohttp.ClientSession() as http:
        async with http.post(slack.base_url + "chat.postMessage", data=form) as resp:
            assert (await resp.json())["ok"] is True
        async with http.post(slack.base_url + "auth.test") as resp:
            assert await resp.json() == {"ok": False, "error": "not_authed"}
    assert slack.messages("C9")[0].blocks == [{"type": "divider"}]


async def test_configured_token_rejects_others() -> None:
    async with SlackWebApiStandIn(token="xoxb-right") as slack:
        wrong = AsyncWebClient(base_url=slack.base_url, token="xoxb-wrong")
        with pytest.raises(SlackApiError) as err:
            await wrong.auth_test()
        assert err.value.response["error"] == "invalid_auth"


async def test_injected_ratelimit_is_retried_by_slack_sdk(slack: SlackWebApiStandIn) -> None:
    handler = AsyncRateLimitErrorRetryHandler(max_retry_count=1)
    client = AsyncWebClient(base_url=slack.base_url, token=TOKEN, retry_handlers=[handler])
    slack.fail_next("chat.postMessage")

    resp = await client.chat_postMessage(channel="C1", text="eventually")

    assert resp["ok"] is True
    assert [c.error for c in slack.calls_to("chat.postMessage")] == ["ratelimited", None]
    assert [m.text for m in slack.messages()] == ["eventually"]


async def test_injected_ratelimit_without_retry_is_http_429(
    slack: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    slack.fail_next("auth.test", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await client.auth_test()
        assert err.value.response.status_code == 429
        assert err.value.response.headers["Retry-After"] == "0"
    assert (await client.auth_test())["ok"] is True


async def test_injected_error_is_http_200_and_changes_nothing(
    slack: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    slack.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "channel_not_found"
    assert slack.messages() == []


async def test_wait_for_wakes_on_a_call(slack: SlackWebApiStandIn, client: AsyncWebClient) -> None:
    waiter = asyncio.create_task(slack.wait_for(lambda s: len(s.messages("C1")) == 2))
    await client.chat_postMessage(channel="C1", text="one")
    await asyncio.sleep(0)
    assert not waiter.done()
    await client.chat_postMessage(channel="C1", text="two")
    await asyncio.wait_for(waiter, 1.0)


async def test_wait_for_times_out(slack: SlackWebApiStandIn) -> None:
    with pytest.raises(TimeoutError):
        await slack.wait_for(lambda s: bool(s.messages()), timeout=0.05)


async def test_subscribe_observes_calls_until_unsubscribed(
    slack: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    seen: list[RecordedCall] = []

    async def observe(call: RecordedCall) -> None:
        seen.append(call)

    unsubscribe = slack.subscribe(observe)
    await client.chat_postMessage(channel="C1", text="live")
    unsubscribe()
    await client.auth_test()
    assert [(c.method, c.args.get("text")) for c in seen] == [("chat.postMessage", "live")]


# ------------------------------------------------------------------ channels the bot is not in


@pytest.mark.parametrize(
    ("private", "error"), [(False, "not_in_channel"), (True, "channel_not_found")]
)
async def test_a_channel_the_bot_is_not_in_refuses_its_posts(
    slack: SlackWebApiStandIn, client: AsyncWebClient, private: bool, error: str
) -> None:
    slack.add_channel("C0OUTSIDE", private=private, member=False)
    for post in (
        client.chat_postMessage(channel="C0OUTSIDE", text="hi"),
        client.chat_postEphemeral(channel="C0OUTSIDE", user="U1", text="psst"),
    ):
        with pytest.raises(SlackApiError) as err:
            await post
        assert err.value.response["error"] == error
    assert slack.messages() == [] and slack.ephemerals() == []
    # Channels never declared, and DMs, take the bot's messages.
    await client.chat_postMessage(channel="C0ELSEWHERE", text="hi")
    await client.chat_postMessage(channel="D0DANA", text="hi")
    assert len(slack.messages()) == 2


# ------------------------------------------------------------------ response URLs


async def _respond(url: str, body: object) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
        return resp.status, await resp.text()


async def test_a_response_url_shows_an_ephemeral_answer_to_its_user_only(
    slack: SlackWebApiStandIn,
) -> None:
    slack.add_channel("C0OUTSIDE", member=False)
    url = slack.response_url("C0OUTSIDE", "U1")
    assert url.startswith("http://127.0.0.1:")

    body = {"response_type": "ephemeral", "text": "only you", "blocks": [{"type": "divider"}]}
    assert await _respond(url, body) == (200, "ok")

    [shown] = slack.ephemerals("U1")
    assert (shown["channel"], shown["text"], shown["via"]) == (
        "C0OUTSIDE",
        "only you",
        "response_url",
    )
    assert shown["blocks"] == [{"type": "divider"}]
    assert slack.ephemerals("U2") == [] and slack.messages() == []
    [call] = slack.calls_to("response_url")
    assert (call.args["response_type"], call.error) == ("ephemeral", None)


async def test_an_in_channel_response_is_posted_even_where_the_bot_is_not_a_member(
    slack: SlackWebApiStandIn,
) -> None:
    slack.add_channel("C0OUTSIDE", member=False)
    url = slack.response_url("C0OUTSIDE", "U1")
    assert (await _respond(url, {"response_type": "in_channel", "text": "all"}))[0] == 200
    [posted] = slack.messages("C0OUTSIDE")
    assert posted.text == "all"


async def test_a_response_url_takes_five_posts_within_thirty_minutes() -> None:
    now = [1000.0]
    async with SlackWebApiStandIn(clock=lambda: now[0]) as slack:
        url = slack.response_url("C1", "U1")
        for _ in range(5):
            assert (await _respond(url, {"text": "again"}))[0] == 200
        assert await _respond(url, {"text": "sixth"}) == (404, "used_url")

        fresh = slack.response_url("C1", "U1")
        now[0] += 30 * 60 + 1
        assert await _respond(fresh, {"text": "late"}) == (404, "expired_url")
        assert await _respond(fresh.replace(fresh[-4:], "beef"), {"text": "?"}) == (
            404,
            "invalid_url",
        )
    assert [c.error for c in slack.calls_to("response_url")][-3:] == [
        "used_url",
        "expired_url",
        "invalid_url",
    ]


async def test_a_response_without_text_or_blocks_is_refused(slack: SlackWebApiStandIn) -> None:
    url = slack.response_url("C1", "U1")
    assert await _respond(url, {"response_type": "ephemeral"}) == (400, "no_text")
    assert slack.ephemerals() == []


# ------------------------------------------------------------------ faults


async def test_an_html_500_reaches_the_client_as_slack_api_error_with_its_status(
    slack: SlackWebApiStandIn, client: AsyncWebClient
) -> None:
    slack.fail("chat.postMessage", times=2, status=500)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await client.chat_postMessage(channel="C1", text="x")
        assert err.value.response.status_code == 500
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"] is True
    assert [c.error for c in slack.calls_to("chat.postMessage")] == ["http_500", "http_500", None]
    assert len(slack.messages()) == 1


async def test_a_fault_with_a_slack_error_and_a_delay(slack: SlackWebApiStandIn) -> None:
    slow = AsyncWebClient(base_url=slack.base_url, token=TOKEN, timeout=1)
    slack.fail("users.info", error="internal_error", delay_s=0.05)
    with pytest.raises(SlackApiError) as err:
        await slow.users_info(user="U1")
    assert err.value.response["error"] == "internal_error"


async def test_response_url_faults_are_injected_like_any_method(slack: SlackWebApiStandIn) -> None:
    url = slack.response_url("C1", "U1")
    slack.fail("response_url", status=503, body="<html>busy</html>")
    assert await _respond(url, {"text": "x"}) == (503, "<html>busy</html>")
    assert await _respond(url, {"text": "x"}) == (200, "ok")
