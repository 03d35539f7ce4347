"""Every Web API call of a process goes through one HTTP session: N calls, one TCP
connection, as seen by the server at the other end."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.slack_client import shared_web_client, web_client

CALLS = 5


@pytest.fixture
async def slack_peers() -> AsyncIterator[tuple[str, list[object]]]:
    """A server answering every Web API method ``{"ok": true}``; the peer of each request."""
    peers: list[object] = []

    async def answer(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/{method}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/", peers
    finally:
        await runner.cleanup()


async def test_calls_share_one_connection(slack_peers: tuple[str, list[object]]) -> None:
    base_url, peers = slack_peers
    async with shared_web_client("xoxb-test", base_url) as client:
        for _ in range(CALLS):
            await client.auth_test()
        session = client.session
    assert len(peers) == CALLS
    assert len(set(peers)) == 1, "each call opened a connection of its own"
    assert session is not None and session.closed, "the session is closed when serving ends"


async def test_without_a_session_each_call_connects_anew(
    slack_peers: tuple[str, list[object]],
) -> None:
    # What the shared session saves: slack_sdk's default is one session per call.
    base_url, peers = slack_peers
    client = web_client("xoxb-test", base_url)
    for _ in range(CALLS):
        await client.auth_test()
    assert len(set(peers)) == CALLS
