"""The Claude planner's tests: the Messages API stand-in, a real ``AsyncAnthropic`` pointed at
it, and the switch that refuses any model request beyond this machine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anthropic
import pytest

from workflows.planning.claude import NETWORK_SWITCH
from workflows.planning.messages_standin import MessagesStandIn


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NETWORK_SWITCH, "1")


@pytest.fixture
def standin() -> Iterator[MessagesStandIn]:
    with MessagesStandIn() as server:
        yield server


@pytest.fixture
async def client(standin: MessagesStandIn) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        api_key=standin.api_key, base_url=standin.url, max_retries=2
    ) as sdk:
        yield sdk
