"""The offline planner reads what people type: the customer first, then what is asked.

Every case runs the real planner with the real identity directory over the real demo world.
"""

from __future__ import annotations

import pytest

from connectors.identity import IdentityDirectory
from tests.workflows.conftest import DEMO_NOW
from workflows.answers import Notice
from workflows.catalog import CallContext, Catalog
from workflows.models import Objective, ReplyTarget
from workflows.plan import Plan
from workflows.planning import OfflinePlanner
from workflows.planning.help import EXAMPLES
from workflows.planning.phrasing import clean_text, tidy
from workflows.planning.protocol import PlanningResult

ACME, BLUE, LUMEN = "Acme Corporation", "Blue Harbor Logistics", "Lumen & Oak Interiors"


def _objective(text: str) -> Objective:
    return Objective(
        text=text,
        trigger="cli",
        trigger_id="t",
        reply=ReplyTarget(kind="cli"),
        received_at=DEMO_NOW,
    )


async def plan_for(world: tuple[IdentityDirectory, Catalog], text: str) -> PlanningResult:
    directory, catalog = world
    return await OfflinePlanner(directory).plan(_objective(text), catalog)


BRIEFINGS = [
    ("Acme", ACME),
    ("acme", ACME),
    ("how is Acme doing?", ACME),
    ("Acme alone", ACME),
    ("and Blue Harbor?", BLUE),
    ("brief me on Acme, especially the renewal and the open tickets", ACME),
    ("prep me for my call with Alex Morgan", ACME),
    ("alex.morgan@acme.io", ACME),
    ("brief me on Acme before my 2pm", ACME),
    ("@crosswire brief me on Acme before my 2pm", ACME),
    ("@Crosswire brief me on Acme", ACME),
    ("/crosswire brief acme.io", ACME),
    ("prep me for my Acme call", ACME),
    ("what's going on with ACME?", ACME),
    ("brief me on ACME Corp.", ACME),
    ("Acme's renewal", ACME),
    ("status of Acme's account", ACME),
    ("Can you give me a briefing on Acme Corporation for tomorrow's QBR?", ACME),
    ("give me an update on Acme", ACME),
    ("Acme update", ACME),
    ("send me a quick rundown on Acme", ACME),
    ("tell me about Blue Harbor", BLUE),
    ("brief me on Lumen & Oak", LUMEN),
    ("brief me on lumen and oak", LUMEN),
    ("what do we know about blueharbor.com?", BLUE),
    ("any news from jamie.ortiz@acme.io?", ACME),
    ("brief me on Blue Harbour", BLUE),
    ("catch me up on Summit Helth", "Summit Health Systems"),
    ("Acmee", ACME),
    ("is Maple & Main Bank at risk?", "Maple & Main Bank"),
    ("who owns Quantum Freight?", "Quantum Freight Inc."),
    ("when does Acme renew?", ACME),
    ("prep for my 3:30pm with Pinecrest", "Pinecrest Analytics"),
    ("what's the delta on Acme's renewal", ACME),
]


@pytest.mark.parametrize(("text", "account"), BRIEFINGS)
async def test_a_briefing_on_the_customer_named(
    world: tuple[IdentityDirectory, Catalog], text: str, account: str
) -> None:
    plan = await plan_for(world, text)
    assert isinstance(plan, Plan), plan
    assert plan.workflow == "briefing"
    resolve = plan.step("account")
    assert resolve.operation == "directory.resolve_account"
    assert resolve.args == {"query": plan.subject, "account_id": resolve.args["account_id"]}
    directory, _ = world
    found = directory.account(resolve.args["account_id"])
    assert found is not None and found.name == account


async def test_the_resolution_step_is_exact(world: tuple[IdentityDirectory, Catalog]) -> None:
    plan = await plan_for(world, "brief me on Summit Health")
    assert isinstance(plan, Plan)
    _, catalog = world
    operation = catalog.get("directory.resolve_account")
    context = CallContext(run_id="r", step_id="account", requester_email="dana@x")
    resolved = await operation.handler(
        operation.input_model.model_validate(plan.step("account").args), context
    )
    assert resolved.account is not None and resolved.account.name == "Summit Health Systems"
    assert resolved.query == "Summit Health"


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("brief me on Acme", "Acme"),
        ("brief acme.io", "acme.io"),
        ("how is Blue Harbor doing?", "Blue Harbor"),
        ("prep me for my call with Alex Morgan", ACME),
        ("brief me on Blue Harbour", BLUE),
        ("alex.morgan@acme.io", ACME),
    ],
)
async def test_the_subject_is_the_customer_as_named(
    world: tuple[IdentityDirectory, Catalog], text: str, subject: str
) -> None:
    plan = await plan_for(world, text)
    assert isinstance(plan, Plan) and plan.subject == subject


async def test_a_focus_is_not_part_of_the_name(world: tuple[IdentityDirectory, Catalog]) -> None:
    text = "brief me on Acme, especially the renewal and the open tickets"
    plan = await plan_for(world, text)
    assert isinstance(plan, Plan) and plan.subject == "Acme"
    assert plan.summary.endswith("focus: contracts, support")


ACTIONS = [
    "can you send the renewal info to Acme",
    "email Acme the contract",
    "schedule a call with Acme",
    "update the deal",
    "give Acme a discount",
    "please email alex.morgan@acme.io the quote",
    "brief me on Acme and then email them the summary",
    "I need to send Blue Harbor an invoice",
    "remind me to call Acme tomorrow",
    "help me draft an email to Alex Morgan",
    "cancel the Acme meeting",
    "call Acme",
    "give me a discount",
]


@pytest.mark.parametrize("text", ACTIONS)
async def test_an_action_is_never_answered_with_a_briefing(
    world: tuple[IdentityDirectory, Catalog], text: str
) -> None:
    notice = await plan_for(world, text)
    assert isinstance(notice, Notice), notice
    assert notice.reason == "unsupported"
    assert notice.title == "I can't do that yet"
    assert "brief" in notice.text and "English" in notice.text


async def test_an_action_offers_a_briefing_on_its_customer(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    notice = await plan_for(world, "can you send the renewal info to Acme")
    assert isinstance(notice, Notice)
    assert notice.suggestions == ("brief me on Acme Corporation",)


@pytest.mark.parametrize(
    "text", ["brief me on Acme and Blue Harbor", "Blue Harbor Logistics vs Acme Corporation?"]
)
async def test_two_customers_get_a_question(
    world: tuple[IdentityDirectory, Catalog], text: str
) -> None:
    notice = await plan_for(world, text)
    assert isinstance(notice, Notice)
    assert (notice.reason, notice.title) == ("ambiguous", "Which one first?")
    assert sorted(notice.suggestions) == [f"brief me on {ACME}", f"brief me on {BLUE}"]


async def test_one_name_that_fits_two_customers_asks_which(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    notice = await plan_for(world, "brief me on Summit")
    assert isinstance(notice, Notice) and notice.reason == "ambiguous"
    assert "matches several customers" in notice.title
    assert sorted(notice.suggestions) == [
        "brief me on Summit Financial Group",
        "brief me on Summit Health Systems",
    ]


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("brief me on Globex Industries", "Globex Industries"),
        ("catch me up on Globex Industries before my 2pm", "Globex Industries"),
        ("Initech", "Initech"),
        ("prep me for my 3:30pm with Initech", "Initech"),
    ],
)
async def test_an_unknown_customer_gets_no_random_suggestions(
    world: tuple[IdentityDirectory, Catalog], text: str, subject: str
) -> None:
    notice = await plan_for(world, text)
    assert isinstance(notice, Notice) and notice.reason == "unknown_customer"
    assert notice.title == f"I couldn't find a customer called “{subject}”"
    assert notice.suggestions == ()


async def test_a_near_name_gets_a_plausible_suggestion(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    notice = await plan_for(world, "brief me on Quantam Frieght")
    assert isinstance(notice, Notice) and notice.reason == "unknown_customer"
    assert notice.suggestions == ("brief me on Quantum Freight Inc.",)
    assert "Did you mean Quantum Freight Inc.?" in notice.text


async def test_a_longer_name_than_a_customers_is_not_that_customer(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    notice = await plan_for(world, "brief me on Acme Health")
    assert isinstance(notice, Notice) and notice.reason == "unknown_customer"
    assert notice.title == "I couldn't find a customer called “Acme Health”"
    assert notice.suggestions[0] == "brief me on Acme Corporation"


@pytest.mark.parametrize(
    "text", ["brief me on Acme Thursday", "brief me on Acme Renewal", "How is Acme Doing?"]
)
async def test_request_words_after_a_name_are_not_part_of_it(
    world: tuple[IdentityDirectory, Catalog], text: str
) -> None:
    plan = await plan_for(world, text)
    assert isinstance(plan, Plan) and plan.subject == "Acme"


@pytest.mark.parametrize("text", ["brief me", "prep me for my 2pm", "give me a status update"])
async def test_a_briefing_without_a_customer_asks_which(
    world: tuple[IdentityDirectory, Catalog], text: str
) -> None:
    notice = await plan_for(world, text)
    assert isinstance(notice, Notice)
    assert (notice.reason, notice.title) == ("unknown_customer", "Which customer?")
    assert notice.suggestions == EXAMPLES


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("help", "What I can do"),
        ("", "What I can do"),
        ("who are you?", "What I can do"),
        ("what can you do?", "What I can do"),
        ("hi", "What I can do"),
        ("thanks!", "You're welcome"),
        ("thank you, that helps", "You're welcome"),
        ("can you help?", "What I can do"),
        ("order me a pizza", "I did not understand that"),
        ("email", "I did not understand that"),
        ("deploy the app", "I did not understand that"),
        ("what is the meaning of life?", "I did not understand that"),
    ],
)
async def test_other_messages_get_help(
    world: tuple[IdentityDirectory, Catalog], text: str, title: str
) -> None:
    notice = await plan_for(world, text)
    assert isinstance(notice, Notice)
    assert (notice.reason, notice.title) == ("help", title)
    assert "brief me on Acme" in " ".join(notice.suggestions)


async def test_a_question_beyond_the_workflows_says_a_model_would_answer_it(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    question = "which of my accounts have an overdue invoice and a P1 open?"
    notice = await plan_for(world, question)
    assert isinstance(notice, Notice)
    assert notice.text.startswith(f"I can't do “{question}” yet. I build customer briefings")
    assert notice.text.endswith(
        "Questions beyond these need a language model: whoever runs Crosswire can set "
        "ANTHROPIC_API_KEY, and Claude then plans and answers them from every system."
    )


async def test_behind_a_model_the_offline_planner_does_not_ask_for_one(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    directory, catalog = world
    planner = OfflinePlanner(directory, model_configured=True)
    notice = await planner.plan(_objective("order me a pizza"), catalog)
    assert isinstance(notice, Notice) and notice.title == "I did not understand that"
    assert "language model" not in notice.text and "ANTHROPIC_API_KEY" not in notice.text


async def test_the_help_says_which_languages(world: tuple[IdentityDirectory, Catalog]) -> None:
    notice = await plan_for(world, "help")
    assert isinstance(notice, Notice)
    assert "English only" in notice.text


@pytest.mark.parametrize("example", EXAMPLES)
async def test_every_example_offered_plans_a_briefing(
    world: tuple[IdentityDirectory, Catalog], example: str
) -> None:
    assert isinstance(await plan_for(world, example), Plan)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<@U0CROSSWIRE> brief me on Lumen &amp; Oak", "brief me on Lumen & Oak"),
        ("brief me on a &lt;b&gt; &amp;amp; c", "brief me on a <b> &amp; c"),
        ("brief <http://acme.io|acme.io>", "brief acme.io"),
        ("brief <mailto:alex.morgan@acme.io|alex.morgan@acme.io>", "brief alex.morgan@acme.io"),
        ("@crosswire brief me on Acme before my 2pm", "brief me on Acme before my 2pm"),
        ("@Crosswire: brief me", "brief me"),
        ("  /crosswire   Acme ", "Acme"),
    ],
)
def test_slack_markup_and_escaping_are_undone(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_tidy_leaves_typed_ampersands_alone() -> None:
    assert tidy("brief me on Lumen &amp; Oak") == "brief me on Lumen &amp; Oak"


async def test_escaped_names_find_their_customer(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    plan = await plan_for(world, clean_text("<@U0CROSSWIRE> brief me on Lumen &amp; Oak"))
    assert isinstance(plan, Plan) and plan.subject == "Lumen & Oak"
    assert plan.step("account").args["account_id"] == "acct-0012"


async def test_without_a_finder_the_subject_is_taken_as_typed(demo_catalog: Catalog) -> None:
    plan = await OfflinePlanner().plan(_objective("prep me for my Acme call"), demo_catalog)
    assert isinstance(plan, Plan)
    assert plan.subject == "Acme" and plan.step("account").args == {"query": "Acme"}
    assert [s.id for s in plan.steps] == [
        "account",
        "crm",
        "email",
        "support",
        "contracts",
        "usage",
        "billing",
    ]


async def test_a_catalog_without_the_systems_gets_a_notice(
    world: tuple[IdentityDirectory, Catalog],
) -> None:
    directory, _ = world
    notice = await OfflinePlanner(directory).plan(_objective("brief me on Acme"), Catalog.of([]))
    assert isinstance(notice, Notice) and notice.reason == "failed"
