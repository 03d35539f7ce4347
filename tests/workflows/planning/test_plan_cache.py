"""The plan cache: objectives of one kind share a template; what must not be reused is not."""

from __future__ import annotations

from connectors.identity import IdentityDirectory
from workflows.catalog import Catalog
from workflows.library.briefing import briefing_plan
from workflows.library.follow_up import follow_up_plan
from workflows.models import Principal
from workflows.plan import Plan, Step
from workflows.planning.claude_cache import PlanCache, objective_shape

World = tuple[IdentityDirectory, Catalog]
DANA = Principal(email="dana.reyes@northwind.example", name="Dana Reyes")
LEAH = Principal(email="leah.okafor@northwind.example", name="Leah Okafor")


def stored(cache: PlanCache, world: World, text: str, plan: Plan, who: Principal = DANA) -> str:
    directory, catalog = world
    mentions = directory.find_in(text)
    key = cache.key(catalog, text, mentions)
    assert key is not None
    assert cache.put(key, plan, mentions, who)
    return key


def reused(cache: PlanCache, world: World, text: str, who: Principal | None = DANA) -> Plan | None:
    directory, catalog = world
    mentions = directory.find_in(text)
    key = cache.key(catalog, text, mentions)
    return None if key is None else cache.get(key, mentions, who)


def test_the_shape_replaces_customers_and_ignores_case_and_spacing(world: World) -> None:
    directory, _ = world
    one = "Brief me on  Acme before my call"
    other = "brief me on Orbital Media before my call"

    assert objective_shape(one, directory.find_in(one)) == objective_shape(
        other, directory.find_in(other)
    )
    assert objective_shape(one, directory.find_in(one)) == "brief me on {customer_1} before my call"
    assert objective_shape("brief me on Summit", directory.find_in("brief me on Summit")) is None


def test_a_briefing_template_is_filled_with_the_next_customer(world: World) -> None:
    cache = PlanCache()
    stored(cache, world, "prep me for Acme", briefing_plan("Acme", account_id="acct-0001"))

    plan = reused(cache, world, "prep me for acme.io")

    assert plan == briefing_plan("acme.io", account_id="acct-0001")
    assert reused(cache, world, "prep me for Helix Biotech") == briefing_plan(
        "Helix Biotech", account_id="acct-0011"
    )
    assert reused(cache, world, "brief me on Helix Biotech") is None  # another kind


def test_the_requester_s_email_is_theirs_in_a_reused_plan(world: World) -> None:
    cache = PlanCache()
    text = "follow up with the webinar attendees"
    stored(cache, world, text, follow_up_plan(DANA.email))

    assert reused(cache, world, text, LEAH) == follow_up_plan(LEAH.email)
    assert reused(cache, world, text, DANA) == follow_up_plan(DANA.email)
    assert reused(cache, world, text, None) is None  # no one to fill it for


def test_a_plan_with_a_date_or_a_value_it_cannot_replace_is_not_cached(world: World) -> None:
    directory, catalog = world
    cache = PlanCache()
    text = "meetings with Acme"
    mentions = directory.find_in(text)
    key = cache.key(catalog, text, mentions)
    assert key is not None
    dated = Plan(
        workflow="briefing",
        steps=(
            Step(
                id="meetings",
                operation="calendar.meetings_between",
                args={"starts_from": "2026-11-21T00:00:00+00:00"},
            ),
        ),
    )
    glued = briefing_plan("AcmeCorp notes", account_id="acct-0001")

    assert not cache.put(key, dated, mentions, DANA)
    assert not cache.put(key, glued, mentions, DANA)
    assert len(cache) == 0


def test_a_changed_catalog_plans_afresh_and_the_oldest_entry_leaves_first(world: World) -> None:
    directory, catalog = world
    cache = PlanCache(size=2)
    first = stored(cache, world, "prep me for Acme", briefing_plan("Acme", account_id="acct-0001"))
    stored(cache, world, "what about Acme?", briefing_plan("Acme", account_id="acct-0001"))
    stored(cache, world, "status of Acme", briefing_plan("Acme", account_id="acct-0001"))
    smaller = Catalog.of([op for op in catalog if op.name != "billing.list_invoices"])

    assert len(cache) == 2
    assert cache.get(first, directory.find_in("prep me for Acme"), DANA) is None
    assert cache.key(smaller, "status of Acme", directory.find_in("status of Acme")) != cache.key(
        catalog, "status of Acme", directory.find_in("status of Acme")
    )
