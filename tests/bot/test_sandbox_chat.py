"""The terminal sandbox as a person uses it: lines typed, the real app, the Web API stand-in,
and what is printed back, Slack's markup rendered as terminal text."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.render.terminal import blocks_text, mrkdwn
from bot.sandbox.chat import SandboxChat
from bot.slack_client import web_client
from tests.harness import SECRET, TOKEN, SlackHarness

DANA = "dana.reyes@northwind.example"
DEC_1 = datetime.fromtimestamp(1764590400).astimezone()  # Slack shows each reader their zone


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


# ---------------------------------------------------------------------- the renderer


@pytest.mark.parametrize(
    ("slack_text", "terminal_text"),
    [
        ("Gathering *Acme* from 6 systems…", "Gathering Acme from 6 systems…"),
        (":white_check_mark: CRM  :x: Billing  :white_circle: Mail", "✅ CRM  ❌ Billing  ⚪ Mail"),
        (":red_circle: P1 :no_such_emoji:", "🔴 P1 :no_such_emoji:"),
        ("_italic_ and ~struck~", "italic and struck"),
        ("Lumen &amp; Oak &lt;ops&gt;", "Lumen & Oak <ops>"),
        (
            "<https://acme.io/d|the deal> or <https://acme.io>",
            "the deal (https://acme.io/d) or https://acme.io",
        ),
        ("ask <@U0DANA|dana> in <#C0SALES|sales> <!here>", "ask @dana in #sales @here"),
        ("renews <!date^1764590400^{date_num}|Dec 1>", f"renews {DEC_1:%Y-%m-%d}"),
        ("<!date^1764590400^{no_such_token}|on Dec 1>", "on Dec 1"),
        ("at <!date^1764590400^{time}|12:00 UTC>", f"at {DEC_1:%H:%M %Z}"),
        ("run `cli-a_b_c` *bold _both_*", "run `cli-a_b_c` bold both"),
        ("2 * 3 * 4 and snake_case_name", "2 * 3 * 4 and snake_case_name"),
    ],
)
def test_slack_markup_becomes_terminal_text(slack_text: str, terminal_text: str) -> None:
    assert mrkdwn(slack_text) == terminal_text


def test_on_a_terminal_bold_and_italic_are_ansi_styles() -> None:
    assert mrkdwn("*Acme* is _late_", ansi=True) == "\x1b[1mAcme\x1b[22m is \x1b[3mlate\x1b[23m"
    assert mrkdwn("*Acme*", ansi=False) == "Acme"


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def test_block_kit_is_read_as_lines() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Acme :tada:"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Owner* Dana"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Stage* renewal"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ":x: Billing"}]},
        {"type": "divider"},
        {"type": "actions", "elements": [{"type": "button", "text": _plain("Approve")}]},
    ]
    assert blocks_text(blocks).splitlines() == [
        "Acme 🎉",
        "Owner Dana",
        "Stage renewal",
        "   ❌ Billing",
        "─" * 40,
        "   [ Approve ]",
    ]


# ---------------------------------------------------------------------- the chat


async def test_a_mention_shows_progress_and_the_answer_without_raw_markup(
    chat: SandboxChat,
) -> None:
    await chat.converse("brief me on Acme", timeout=30)
    out = printed(chat)
    assert "crosswire> Gathering Acme" in out
    assert "crosswire (edited)>" in out
    assert "Acme Corporation" in out
    assert "✅" in out
    for raw in ("*Acme*", ":white_check_mark:", ":white_circle:", ":x:", "&amp;"):
        assert raw not in out


async def test_a_dm_is_a_signed_message_im_answered_in_the_dm(
    chat: SandboxChat, slack: SlackHarness
) -> None:
    await chat.converse("/dm brief me on Acme", timeout=30)
    assert "crosswire (DM to Dana Reyes)>" in printed(chat)
    assert "Acme Corporation" in printed(chat)
    assert any(m.channel == chat.me.dm for m in slack.standin.messages())


async def test_home_shows_the_published_home_tab(chat: SandboxChat, slack: SlackHarness) -> None:
    await chat.converse("/home")
    [publish] = slack.standin.calls_to("views.publish")
    assert publish.args["user_id"] == chat.me.user_id
    out = printed(chat)
    assert "crosswire (Home tab)>" in out
    assert "Crosswire" in out.split("crosswire (Home tab)>", 1)[1]


async def test_help_lists_the_sandbox_commands_and_sends_nothing(
    chat: SandboxChat, slack: SlackHarness
) -> None:
    before = len(slack.standin.calls)
    await chat.converse("/help")
    await chat.converse("/nonsense")
    out = printed(chat)
    for command in ("/dm", "/home", "/crosswire", "/press N", "/as EMAIL", "/who", "/help", "quit"):
        assert command in out
    assert "there is no /nonsense here" in out
    assert len(slack.standin.calls) == before


async def test_a_message_for_you_only_is_marked_so(chat: SandboxChat, slack: SlackHarness) -> None:
    client = web_client(TOKEN, slack.standin.base_url)
    await client.chat_postEphemeral(
        channel="C0SANDBOX", user=chat.me.user_id, text="Only *you* can see this"
    )
    assert "crosswire (only you)> Only you can see this" in printed(chat)


async def test_the_chat_reads_lines_until_quit(chat: SandboxChat) -> None:
    await chat.repl(io.StringIO("/help\nquit\nbrief me on Acme\n"))
    out = printed(chat)
    assert out.startswith("Sandbox workspace: you are Dana Reyes")
    assert "/dm TEXT" in out
    assert "Gathering" not in out  # nothing after quit was sent


# ---------------------------------------------------------------------- as a process


def serve_chat(state: Path, *extra: str) -> subprocess.Popen[str]:
    """`crosswire serve --chat` in a process of its own, no Slack settings, state in `state`."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CROSSWIRE_"))
    }
    environment["CROSSWIRE_STATE_DIR"] = str(state)
    environment["CROSSWIRE_SCHEDULER"] = "off"  # no pre-meeting DM in the middle of a test
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--chat", "--port", "0", "--host", "127.0.0.1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=state.parent,
    )


def test_serve_chat_answers_lines_and_keeps_logs_out_of_the_chat(tmp_path: Path) -> None:
    state = tmp_path / "state"
    serve = serve_chat(state)
    out, err = serve.communicate("brief me on Acme\n/home\nquit\n", timeout=120)
    assert serve.returncode == 0, err
    assert "Acme Corporation" in out and "crosswire (Home tab)>" in out
    assert f"Logs go to {state / 'serve.log'}" in out
    assert "*Acme*" not in out and ":white_check_mark:" not in out
    # stderr holds the one banner line; every log line went to the file, as JSON
    assert [line for line in err.splitlines() if line] == [
        line for line in err.splitlines() if line.startswith("No Slack settings: sandbox")
    ]
    logged = (state / "serve.log").read_text().splitlines()
    assert logged and all(json.loads(line)["event"] for line in logged)
    assert any(json.loads(line)["event"] == "step.finished" for line in logged)


def test_ctrl_c_at_the_prompt_quits_cleanly(tmp_path: Path) -> None:
    serve = serve_chat(tmp_path / "state")
    assert serve.stdout is not None
    deadline = time.monotonic() + 60
    seen = ""
    while "you (Dana Reyes)> " not in seen and time.monotonic() < deadline:
        seen += serve.stdout.read(1)
    assert "you (Dana Reyes)> " in seen
    serve.send_signal(signal.SIGINT)
    # stdin stays open (no EOF): only the signal can stop it
    assert serve.wait(timeout=30) == 0
    assert serve.stderr is not None
    assert "Bye." in serve.stdout.read()
    assert "Traceback" not in serve.stderr.read()
    assert serve.stdin is not None
    serve.stdin.close()


async def test_the_standalone_stand_in_can_have_the_staff_as_members() -> None:
    standin = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.sandbox", "--staff", stdin=PIPE, stdout=PIPE
    )
    assert standin.stdout is not None and standin.stdin is not None
    try:
        base_url = (await standin.stdout.readline()).decode().strip()
        client = web_client(TOKEN, base_url)
        found = await client.users_lookupByEmail(email="rachel.kim@northwind.example")
        assert found["user"]["real_name"] == "Rachel Kim"
    finally:
        standin.stdin.close()
        assert await asyncio.wait_for(standin.wait(), 30) == 0
