"""A clarifying question in the terminal sandbox: Rachel Kim types "brief me on Summit", the
question comes back with its buttons numbered, and ``/press N`` answers it: the same run
goes on to the briefing on the customer she chose. The real app, the Web API stand-in."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest

from bot.sandbox.chat import SandboxChat
from tests.harness import SECRET, SlackHarness

RACHEL = "rachel.kim@northwind.example"


@pytest.fixture
async def chat(slack: SlackHarness) -> AsyncIterator[SandboxChat]:
    sandbox = SandboxChat(
        app=slack.app, standin=slack.standin, signing_secret=SECRET, out=io.StringIO(), ansi=False
    )
    sandbox.attach()
    yield sandbox


def printed(chat: SandboxChat) -> str:
    assert isinstance(chat.out, io.StringIO)
    return chat.out.getvalue()


async def test_the_question_is_answered_with_press(chat: SandboxChat) -> None:
    await chat.converse(f"/as {RACHEL}")
    await chat.converse("@crosswire brief me on Summit")
    asked = printed(chat)
    assert "“Summit” matches several customers" in asked
    assert "[1] Summit Financial Group  [2] Summit Health Systems  [3] None of these" in asked

    await chat.converse("/press 2")
    answered = printed(chat)[len(asked) :]
    assert "Summit Health Systems" in answered
    assert "Account & deals" in answered
    assert "Summit Financial Group" not in answered
