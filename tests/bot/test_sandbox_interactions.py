"""Buttons, modals and people in the terminal sandbox: what is numbered and printed, who may
press what, and the requests a click and a submission send through the real app.

The messages with buttons and the modals come from small listeners registered on the test's
app (the thing under test is the sandbox, not the approvals behind such buttons); they keep
the bodies Bolt parsed, so the tests read what the app received."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.terminal import blocks_text
from bot.sandbox.chat import SANDBOX_CHANNEL, SandboxChat
from bot.slack_client import web_client
from tests.harness import DANA, SECRET, TOKEN, SlackHarness

RACHEL = "rachel.kim@northwind.example"
LABELS = ("Approve all", "Review one by one", "Edit", "Reject", "Escalate")
ACTIONS = ("approve_all", "review", "edit", "reject", "escalate")


@pytest.fixture
async def chat(slack: SlackHarness) -> AsyncIterator[SandboxChat]:
    sandbox = SandboxChat(
        app=slack.app, standin=slack.standin, signing_secret=SECRET, out=io.StringIO(), ansi=False
    )
    sandbox.attach()
    yield sandbox


@pytest.fixture
def client(slack: SlackHarness) -> AsyncWebClient:
    return web_client(TOKEN, slack.standin.base_url)


@pytest.fixture
def received(slack: SlackHarness) -> list[dict[str, Any]]:
    """The interaction bodies the app received. A click on Approve all edits the message to
    say who approved (no buttons); Edit opens a modal; its submission is refused once for a
    reason under 10 characters, then acknowledged with a message in #sandbox."""
    bodies: list[dict[str, Any]] = []
    app = slack.app

    @app.action("sandbox_test.approve_all")
    async def approve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        bodies.append(body)
        container = body["container"]
        done = [section(f"Approved by <@{body['user']['id']}>")]
        await client.chat_update(
            channel=container["channel_id"], ts=container["message_ts"], text="ok", blocks=done
        )

    @app.action("sandbox_test.edit")
    async def edit(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        bodies.append(body)
        await client.views_open(trigger_id=body["trigger_id"], view=EDIT_MODAL)

    @app.view("sandbox_test.edit_modal")
    async def submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        bodies.append(body)
        reason = body["view"]["state"]["values"]["reason"]["reason_input"]["value"] or ""
        if len(reason) < 10:
            await ack(response_action="errors", errors={"reason": "Say a little more"})
            return
        await ack()
        await client.chat_postMessage(channel=SANDBOX_CHANNEL, text="Saved your edit")

    @app.view_closed("sandbox_test.edit_modal")
    async def closed(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        bodies.append(body)

    @app.action("sandbox_test.reject")
    async def reject(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        bodies.append(body)
        await client.views_open(trigger_id=body["trigger_id"], view=REJECT_MODAL)

    @app.view("sandbox_test.reject_modal")
    async def rejected(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        bodies.append(body)
        await ack(response_action="update", view=result_modal("Working on it…"))
        done = result_modal("Rejected: nothing will be sent.")
        await client.views_update(view_id=body["view"]["id"], view=done)

    return bodies


def result_modal(text: str) -> dict[str, Any]:
    title = {"type": "plain_text", "text": "Reject"}
    return {"type": "modal", "title": title, "blocks": [section(text)]}


REJECT_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "sandbox_test.reject_modal",
    "title": {"type": "plain_text", "text": "Reject"},
    "submit": {"type": "plain_text", "text": "Reject"},
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "optional": True,
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True},
        }
    ],
}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def approval_blocks(approval_id: str = "apr-1") -> list[dict[str, Any]]:
    buttons = [
        {
            "type": "button",
            "action_id": f"sandbox_test.{action}",
            "text": {"type": "plain_text", "text": label},
            "value": approval_id,
        }
        for action, label in zip(ACTIONS, LABELS, strict=True)
    ]
    return [
        section("*Dana Reyes* asks to email 3 prospects"),
        {"type": "actions", "block_id": "decide", "elements": buttons},
    ]


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


EDIT_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "sandbox_test.edit_modal",
    "private_metadata": "apr-1",
    "notify_on_close": True,
    "title": {"type": "plain_text", "text": "Edit the drafts"},
    "submit": {"type": "plain_text", "text": "Save"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "blocks": [
        section("Change what Alex Morgan will read."),
        {
            "type": "input",
            "block_id": "draft",
            "label": {"type": "plain_text", "text": "Draft to Alex"},
            "element": {
                "type": "plain_text_input",
                "action_id": "draft_input",
                "multiline": True,
                "initial_value": "Hi Alex,\nthanks for joining.",
            },
        },
        {
            "type": "input",
            "block_id": "subject",
            "label": {"type": "plain_text", "text": "Subject"},
            "element": {
                "type": "plain_text_input",
                "action_id": "subject_input",
                "initial_value": "After the webinar",
            },
        },
        {
            "type": "input",
            "block_id": "send",
            "label": {"type": "plain_text", "text": "Send"},
            "element": {
                "type": "radio_buttons",
                "action_id": "send_choice",
                "options": [_option("Now", "now"), _option("Tomorrow", "tomorrow")],
                "initial_option": _option("Now", "now"),
            },
        },
        {
            "type": "input",
            "block_id": "log",
            "optional": True,
            "label": {"type": "plain_text", "text": "Also"},
            "element": {
                "type": "checkboxes",
                "action_id": "log_choice",
                "options": [
                    _option("Log in CRM", "crm"),
                    _option("Tell Dana", "dana"),
                    _option("Hold a slot", "hold"),
                ],
            },
        },
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Why the edit"},
            "element": {"type": "plain_text_input", "action_id": "reason_input"},
        },
    ],
}


def printed(chat: SandboxChat) -> str:
    assert isinstance(chat.out, io.StringIO)
    return chat.out.getvalue()


def since(chat: SandboxChat, mark: int) -> str:
    return printed(chat)[mark:]


async def rachels_dm(client: AsyncWebClient, chat: SandboxChat) -> str:
    rachel = chat.cast.find(RACHEL)
    assert rachel is not None
    opened = await client.conversations_open(users=rachel.user_id)
    return str(opened["channel"]["id"])


# ---------------------------------------------------------------------- the renderer


def test_buttons_read_as_told_and_inputs_read_with_their_values() -> None:
    blocks = approval_blocks()
    numbered = blocks_text(blocks, button=lambda e, label: f"<{e['action_id']}:{label}>")
    assert "<sandbox_test.edit:Edit>" in numbered
    assert blocks_text(blocks).splitlines()[1].startswith("   [ Approve all ]  [ Review")
    modal = blocks_text(EDIT_MODAL["blocks"]).splitlines()
    assert "Subject: After the webinar" in modal
    assert modal[-5:] == [
        "Also (optional):",
        "    1) Log in CRM",
        "    2) Tell Dana",
        "    3) Hold a slot",
        "Why the edit: ",
    ]
    assert "  * 1) Now" in modal and "    2) Tomorrow" in modal


# ---------------------------------------------------------------------- people


async def test_every_employee_is_a_member_and_as_switches_who_types(
    chat: SandboxChat, slack: SlackHarness, client: AsyncWebClient
) -> None:
    found = await client.users_lookupByEmail(email=RACHEL)
    assert found["user"]["real_name"] == "Rachel Kim"
    await chat.converse("/who")
    assert "victor.alvarez@northwind.example" in printed(chat)
    assert "Dana Reyes, Account Executive  ← you" in printed(chat)
    await chat.converse("/as nobody@northwind.example")
    assert "nobody in the sandbox workspace is nobody@northwind.example" in printed(chat)
    await chat.converse(f"/as {RACHEL.upper()}")
    assert f"you are now Rachel Kim ({RACHEL}), Sales Manager" in printed(chat)
    await chat.converse("/as")
    assert f"[sandbox] you are Rachel Kim ({RACHEL})" in printed(chat)
    for who in ("victor", "Victor Alvarez", "victor.alvarez"):
        assert chat.cast.find(who) == chat.cast.find("victor.alvarez@northwind.example")
    await chat.converse("/home")
    [publish] = slack.standin.calls_to("views.publish")
    assert publish.args["user_id"] == found["user"]["id"] != DANA


async def test_the_prompt_names_who_is_typing(chat: SandboxChat) -> None:
    await chat.repl(io.StringIO(f"/as {RACHEL}\nquit\n"))
    assert "you (Dana Reyes)> " in printed(chat)
    assert "you (Rachel Kim)> " in printed(chat)


# ---------------------------------------------------------------------- buttons


async def test_buttons_are_numbered_and_pressed_by_whoever_may_see_them(
    chat: SandboxChat, client: AsyncWebClient, received: list[dict[str, Any]]
) -> None:
    dm = await rachels_dm(client, chat)
    posted = await client.chat_postMessage(channel=dm, text="approve?", blocks=approval_blocks())
    shown = printed(chat)
    assert "crosswire (DM to Rachel Kim)> Dana Reyes asks to email 3 prospects" in shown
    assert "[1] Approve all  [2] Review one by one  [3] Edit  [4] Reject  [5] Escalate" in shown

    await chat.converse("/press 1")  # Dana cannot see Rachel's DM
    assert "button 1 is on a DM to Rachel Kim; only they can press it" in printed(chat)
    assert f"(/as {RACHEL} to be them)" in printed(chat)
    assert received == []

    mark = len(printed(chat))
    await chat.converse(f"/as {RACHEL}")
    assert "[1] Approve all" in since(chat, mark)  # what waits in her DM, shown again
    await chat.converse("/press 1")
    [click] = received
    rachel = chat.cast.find(RACHEL)
    assert rachel is not None
    assert click["type"] == "block_actions"
    assert click["user"]["id"] == rachel.user_id
    assert click["actions"][0]["action_id"] == "sandbox_test.approve_all"
    assert click["actions"][0]["value"] == "apr-1"
    assert click["actions"][0]["block_id"] == "decide"
    assert click["actions"][0]["text"]["text"] == "Approve all"
    assert click["container"] == {
        "type": "message", "message_ts": posted["ts"], "channel_id": dm, "is_ephemeral": False,
    }  # fmt: skip
    assert click["message"]["blocks"][1]["elements"][0]["value"] == "apr-1"
    assert click["trigger_id"] and click["response_url"].startswith("http://127.0.0.1:")
    assert "crosswire (DM to Rachel Kim) (edited)> Approved by @" in printed(chat)

    await chat.converse("/press 1")
    assert "button 1 is no longer there" in printed(chat)
    await chat.converse("/press 99")
    await chat.converse("/press one")
    assert "there is no button 99" in printed(chat)
    assert "/press needs a button's number, e.g. /press 1" in printed(chat)
    assert len(received) == 1


async def test_a_button_shown_to_you_only_is_pressed_from_its_ephemeral_message(
    chat: SandboxChat, client: AsyncWebClient, received: list[dict[str, Any]]
) -> None:
    await client.chat_postEphemeral(
        channel=SANDBOX_CHANNEL, user=chat.me.user_id, text="approve?", blocks=approval_blocks()
    )
    assert "crosswire (only you)> Dana Reyes asks" in printed(chat)
    await chat.converse("/click 1")
    [click] = received
    assert click["container"]["is_ephemeral"] is True
    assert click["container"]["channel_id"] == SANDBOX_CHANNEL
    assert "message" not in click


# ---------------------------------------------------------------------- modals


async def test_a_modal_is_shown_filled_in_and_submitted_as_slack_sends_it(
    chat: SandboxChat, slack: SlackHarness, client: AsyncWebClient, received: list[dict[str, Any]]
) -> None:
    await client.chat_postMessage(channel=SANDBOX_CHANNEL, text="edit?", blocks=approval_blocks())
    answers = [
        "Hi Alex,", "I saw you at the webinar.", ".",  # the draft, ended by a lone "."
        "",  # the subject: Enter keeps it
        "3",  # not a choice: asked again
        "2",  # Tomorrow
        "1, 3",  # Log in CRM, Hold a slot
        "short",  # refused by the app: asked again after the first submit
        "y",
        "The tone was off",
        "yes",
    ]  # fmt: skip
    chat.read_from(io.StringIO("".join(a + "\n" for a in answers)))
    await chat.converse("/press 3")
    out = printed(chat)
    for shown in (
        "┌ Edit the drafts",
        "Change what Alex Morgan will read.",
        "  | thanks for joining.",
        "Subject [After the webinar]: ",
        "please type a number from 1 to 2",
        "Save? [y/N] ",
        "! Why the edit: Say a little more",
        "crosswire> Saved your edit",
    ):
        assert shown in out
    [view] = slack.standin.views()
    _click, refused, accepted = received
    assert refused["view"]["state"]["values"]["reason"]["reason_input"]["value"] == "short"
    submitted = accepted["view"]
    assert accepted["type"] == "view_submission"
    assert accepted["user"]["id"] == chat.me.user_id == DANA
    assert submitted["id"] == view["id"]
    assert submitted["callback_id"] == "sandbox_test.edit_modal"
    assert submitted["private_metadata"] == "apr-1"
    assert submitted["state"]["values"] == {
        "draft": {"draft_input": {"type": "plain_text_input",
                                  "value": "Hi Alex,\nI saw you at the webinar."}},
        "subject": {"subject_input": {"type": "plain_text_input", "value": "After the webinar"}},
        "send": {"send_choice": {"type": "radio_buttons",
                                 "selected_option": _option("Tomorrow", "tomorrow")}},
        "log": {"log_choice": {"type": "checkboxes", "selected_options": [
            _option("Log in CRM", "crm"), _option("Hold a slot", "hold")]}},
        "reason": {"reason_input": {"type": "plain_text_input", "value": "The tone was off"}},
    }  # fmt: skip


async def test_a_modal_left_unconfirmed_or_unfinished_submits_nothing(
    chat: SandboxChat, client: AsyncWebClient, received: list[dict[str, Any]]
) -> None:
    await client.chat_postMessage(channel=SANDBOX_CHANNEL, text="edit?", blocks=approval_blocks())
    chat.read_from(io.StringIO("\n\n\n\nA good reason\nn\n"))
    await chat.converse("/press 3")
    assert "the modal was closed; nothing was submitted" in printed(chat)
    chat.read_from(io.StringIO("\n"))  # input ends in the middle of the modal
    await chat.converse("/press 3")
    assert printed(chat).count("nothing was submitted") == 2
    kinds = ["block_actions", "view_closed"] * 2
    assert [r["type"] for r in received] == kinds
    assert received[1]["view"]["private_metadata"] == "apr-1"


async def test_a_modal_the_app_replaces_is_shown_with_its_later_updates(
    chat: SandboxChat, client: AsyncWebClient, received: list[dict[str, Any]]
) -> None:
    await client.chat_postMessage(channel=SANDBOX_CHANNEL, text="no?", blocks=approval_blocks())
    chat.read_from(io.StringIO("Not this week\n.\ny\n"))
    await chat.converse("/press 4")
    _click, submitted = received
    values = submitted["view"]["state"]["values"]
    assert values == {"reason": {"reason": {"type": "plain_text_input", "value": "Not this week"}}}
    out = printed(chat)  # the update may come before the ack's view is shown: then it alone
    assert "Rejected: nothing will be sent." in out
    assert out.rfind("Working on it…") < out.rfind("Rejected: nothing will be sent.")


async def test_a_home_tab_button_is_pressed_from_the_home_tab(
    chat: SandboxChat, slack: SlackHarness, client: AsyncWebClient, received: list[dict[str, Any]]
) -> None:
    home = {"type": "home", "blocks": approval_blocks()}
    await client.views_publish(user_id=DANA, view=home)
    assert "crosswire (Home tab)>" in printed(chat)
    assert "[1] Approve all" in printed(chat)
    await chat.converse("/press 1")
    [click] = received
    stored = slack.standin.workspace.home_views[DANA]
    assert click["container"] == {"type": "view", "view_id": stored["id"]}
    assert click["view"]["id"] == stored["id"]
    assert click["actions"][0]["action_id"] == "sandbox_test.approve_all"
    assert "channel" not in click and "message" not in click
