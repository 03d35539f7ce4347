"""The Messages API stand-in: keys, routes, an exhausted script, usage and prompt caching, as
plain HTTP and as the SDK reads it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

import anthropic

from workflows.planning.messages_standin import (
    MessagesStandIn,
    StandinReply,
    error,
    overloaded,
    text,
    tool_use,
)


def post(
    standin: MessagesStandIn,
    body: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    path: str = "/v1/messages",
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, JSON body and headers of one POST."""
    sent = {"content-type": "application/json", "x-api-key": standin.api_key, **(headers or {})}
    request = urllib.request.Request(
        standin.url + path, data=json.dumps(body).encode(), headers=sent, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as failed:
        return failed.code, json.loads(failed.read()), dict(failed.headers)


def long_system(words: int) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": "rule " * words, "cache_control": {"type": "ephemeral"}},
    ]


def request(system: list[dict[str, Any]], question: str) -> dict[str, Any]:
    return {
        "model": "claude-test",
        "max_tokens": 100,
        "system": system,
        "messages": [{"role": "user", "content": question}],
    }


def test_either_way_of_sending_the_key_is_accepted_and_a_wrong_key_is_not(
    standin: MessagesStandIn,
) -> None:
    standin.script(text("one"), text("two"))
    body = request([], "hi")

    as_header = post(standin, body)
    as_bearer = post(standin, body, {"x-api-key": "", "authorization": f"Bearer {standin.api_key}"})
    wrong = post(standin, body, {"x-api-key": "nope"})

    assert [as_header[0], as_bearer[0], wrong[0]] == [200, 200, 401]
    assert wrong[1]["error"]["type"] == "authentication_error"
    assert [r.headers["authorised"] for r in standin.requests] == ["true", "true", "false"]
    assert all("x-api-key" not in r.headers for r in standin.requests)
    assert standin.pending == 0


def test_a_request_with_nothing_scripted_gets_a_400_and_other_routes_a_404(
    standin: MessagesStandIn,
) -> None:
    status, body, _ = post(standin, request([], "hi"))
    missing, _, _ = post(standin, request([], "hi"), path="/v1/complete")

    assert (status, body["error"]["type"]) == (400, "invalid_request_error")
    assert "no scripted reply" in body["error"]["message"]
    assert missing == 404
    assert len(standin.bodies) == 1


def test_replies_are_complete_messages_with_tool_ids_and_errors_carry_retry_after(
    standin: MessagesStandIn,
) -> None:
    standin.script(tool_use("submit_plan", {"plan": {}}, text="Planning."), overloaded())

    status, message, _ = post(standin, request([], "hi"))
    busy, problem, headers = post(standin, request([], "hi"))

    assert status == 200
    assert (message["type"], message["role"], message["model"]) == (
        "message",
        "assistant",
        "claude-test",
    )
    assert message["stop_reason"] == "tool_use"
    assert [b["type"] for b in message["content"]] == ["text", "tool_use"]
    assert message["content"][1]["id"].startswith("toolu_")
    assert (busy, problem["error"]["type"]) == (529, "overloaded_error")
    assert {k.lower(): v for k, v in headers.items()}["retry-after-ms"] == "1"


def test_a_long_marked_prefix_is_written_to_the_cache_once_then_read(
    standin: MessagesStandIn,
) -> None:
    standin.script(text("a"), text("b"), text("c"))
    system = long_system(2000)

    first = post(standin, request(system, "first question"))[1]["usage"]
    second = post(standin, request(system, "a second, longer question"))[1]["usage"]
    changed = post(standin, request(long_system(2001), "first question"))[1]["usage"]

    assert first["cache_creation_input_tokens"] > 1024
    assert first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0
    assert second["input_tokens"] > first["input_tokens"]
    assert changed["cache_creation_input_tokens"] > 0  # another prefix is another entry
    assert first["output_tokens"] > 0


def test_a_short_prefix_or_an_unmarked_one_is_not_cached(standin: MessagesStandIn) -> None:
    standin.script(text("a"), text("b"))
    short = post(standin, request(long_system(10), "q"))[1]["usage"]
    unmarked = post(standin, request([{"type": "text", "text": "rule " * 2000}], "q"))[1]["usage"]

    for usage in (short, unmarked):
        assert usage["cache_creation_input_tokens"] == usage["cache_read_input_tokens"] == 0
    assert unmarked["input_tokens"] > 2000


def test_a_responder_sees_the_request_and_scripted_usage_is_sent_as_given(
    standin: MessagesStandIn,
) -> None:
    def echo(body: Mapping[str, Any]) -> StandinReply:
        return text(f"you said {body['messages'][0]['content']}", usage={"input_tokens": 7})

    standin.script(echo)
    message = post(standin, request([], "hello"))[1]

    assert message["content"] == [{"type": "text", "text": "you said hello"}]
    assert message["usage"] == {"input_tokens": 7}


async def test_the_sdk_reads_its_replies_and_retries_its_errors(standin: MessagesStandIn) -> None:
    standin.script(error(500, "api_error"), text("fine"))
    async with anthropic.AsyncAnthropic(
        api_key=standin.api_key, base_url=standin.url, max_retries=1
    ) as client:
        message = await client.messages.create(
            model="claude-test", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )

    assert message.content[0].type == "text"
    assert message.content[0].text == "fine"
    assert message.usage.output_tokens > 0
    assert len(standin.bodies) == 2
    assert standin.requests[0].headers["authorised"] == "true"
