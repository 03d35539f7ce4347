"""The HubSpot connector's searches as HubSpot takes them, against the stand-in that refuses
what HubSpot refuses: every page is read (``after``), no search carries more filter groups
than HubSpot allows, and date windows are sent in Unix milliseconds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.standin import HubSpotStandIn
from tests.connectors.test_crm_contract import call
from tests.connectors.vendor_env import System, hubspot_http, system
from workflows.errors import PermanentOperationError


def searches(s: System, kind: str) -> list[dict[str, Any]]:
    assert isinstance(s.standin, HubSpotStandIn)
    path = f"/crm/v3/objects/{kind}/search"
    return [dict(r.body) for r in s.standin.seen if r.method == "POST" and r.path == path]


async def test_a_search_longer_than_a_page_is_read_to_its_end(tmp_path: Path) -> None:
    async with system("crm", "hubspot", tmp_path) as s:
        assert isinstance(s.standin, HubSpotStandIn)
        live = {c["id"] for c in s.standin.objects["contacts"].values()}
        async with hubspot_http(s.standin) as http:
            found = await HubSpotClient(http, s.clock).search("contacts", [], ["email"])
        pages = searches(s, "contacts")
    assert len(live) > 200
    assert sorted(c["id"] for c in found) == sorted(live)
    assert [p.get("after") for p in pages] == [None, *(str(100 * n) for n in range(1, len(pages)))]
    assert all(p["limit"] == 100 for p in pages)


async def test_hubspot_refuses_six_filter_groups_so_a_name_search_sends_five_at_most(
    tmp_path: Path,
) -> None:
    six = [[{"propertyName": "firstname", "operator": "EQ", "value": str(n)}] for n in range(6)]
    async with system("crm", "hubspot", tmp_path) as s:
        assert isinstance(s.standin, HubSpotStandIn)
        async with hubspot_http(s.standin) as http:
            with pytest.raises(PermanentOperationError, match=r"refused the request \(400\)"):
                await HubSpotClient(http, s.clock).search_any("contacts", six, ["email"])
        await call(s, "crm.search_contacts", {"query": "Alexandra Morgenstern"})
        sent = [p for p in searches(s, "contacts") if "CONTAINS_TOKEN" in str(p)]
    assert len(sent) >= 4 and all(len(p["filterGroups"]) <= 5 for p in sent)
    patterns = {f["value"] for p in sent for g in p["filterGroups"] for f in g["filters"]}
    assert {"*al*", "*ra*", "*mo*", "*rn*"} <= patterns


async def test_a_renewal_window_and_a_close_window_go_as_unix_milliseconds(
    tmp_path: Path,
) -> None:
    async with system("crm", "hubspot", tmp_path) as s:
        await call(s, "crm.list_accounts", {"renews_within_days": 30})
        await call(s, "crm.deals_closing", {"from_date": "2026-11-01", "to_date": "2026-11-30"})
        sent = [p for kind in ("companies", "deals") for p in searches(s, kind)]
        windows = [f for p in sent for f in p["filterGroups"][0]["filters"]
                   if f["operator"] == "BETWEEN"]  # fmt: skip
    assert [(f["propertyName"], f["value"], f["highValue"]) for f in windows] == [
        ("renewal_date", "1795219200000", "1797897599999"),  # 2026-11-21 to 2026-12-21
        ("closedate", "1793491200000", "1796083199999"),  # 2026-11-01 to 2026-11-30
    ]
