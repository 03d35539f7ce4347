"""A request the HTTP endpoint's screening verified is not verified a second time inside Bolt;
one that did not pass the screening (dispatched in-process) still is."""

from __future__ import annotations

import time
from collections.abc import Sequence

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers
from bot.screening import Screen
from bot.verify import RequestVerifier, VerifiedOnly, is_verified

SECRET = "test-signing-secret"


class CountingClock:
    """The verifier's clock, counting how often a signature's timestamp is checked."""

    def __init__(self) -> None:
        self.reads = 0  # each check reads it (ours, then slack_sdk's)

    def __call__(self) -> float:
        self.reads += 1
        return time.time()


async def let_through(verified_only: VerifiedOnly, request: AsyncBoltRequest) -> BoltResponse:
    async def listener() -> BoltResponse:
        return BoltResponse(status=200, body="listened")

    answer = await verified_only.async_process(
        req=request, resp=BoltResponse(status=200), next=listener
    )
    assert answer is not None
    return answer


async def test_a_screened_request_is_verified_once() -> None:
    clock = CountingClock()
    verifier = RequestVerifier(SECRET, now=clock)
    mention = payloads.app_mention("brief me on Acme", user="U0DANA", channel="C0SALES")
    raw = mention.body.encode()
    headers = signed_headers(raw, SECRET, content_type=mention.content_type)

    screened = Screen(verifier).request(raw, {k: str(v) for k, v in headers.items()})

    assert isinstance(screened, AsyncBoltRequest) and is_verified(screened.context)
    checked = clock.reads
    assert (await let_through(VerifiedOnly(verifier), screened)).body == "listened"
    assert checked > 0 and clock.reads == checked, "the signature was checked again"


async def test_a_request_dispatched_in_process_is_still_verified() -> None:
    clock = CountingClock()
    verifier = RequestVerifier(SECRET, now=clock)
    mention = payloads.app_mention("brief me on Acme", user="U0DANA", channel="C0SALES")
    forged: dict[str, str | Sequence[str]] = dict(
        signed_headers(mention.body.encode(), "another-secret", content_type=mention.content_type)
    )
    signed: dict[str, str | Sequence[str]] = dict(
        signed_headers(mention.body.encode(), SECRET, content_type=mention.content_type)
    )

    refused = await let_through(
        VerifiedOnly(verifier), AsyncBoltRequest(body=mention.body, headers=forged)
    )
    accepted = await let_through(
        VerifiedOnly(verifier), AsyncBoltRequest(body=mention.body, headers=signed)
    )

    assert (refused.status, accepted.body) == (401, "listened")
