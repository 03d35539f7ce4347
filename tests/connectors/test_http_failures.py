"""The one mapping of HTTP failures to connector errors (connectors.http): every row of its
table, through httpx's own transport seam, plus a real refused connection."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import httpx
import pytest

from connectors.errors import AccessDenied, RateLimited, RecordNotFound, SystemUnavailable
from connectors.http import retry_after_seconds, send_json
from workflows.clock import ManualClock
from workflows.errors import OperationError, OperationTimeout, PermanentOperationError

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SECRET = "sk_test_51NorthwindSecretKey"


def client(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=handler,
        base_url="https://api.example.test",
        headers={"Authorization": f"Bearer {SECRET}"},
    )


async def outcome(answer: httpx.Response | Exception) -> object:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    async with client(httpx.MockTransport(handler)) as http:
        request = http.build_request("GET", f"/v1/customers?api_key={SECRET}")
        try:
            return await send_json(http, request, system="billing", label="Stripe",
                                   clock=ManualClock(NOW))  # fmt: skip
        except OperationError as exc:
            return exc


ROWS = [
    (httpx.Response(429, headers={"Retry-After": "3"}), RateLimited, True,
     "Stripe is rate limiting us (429, asked to wait 3s)"),
    (httpx.Response(429), RateLimited, True, "Stripe is rate limiting us (429)"),
    (httpx.Response(503, text="<html>down</html>"), SystemUnavailable, True,
     "Stripe is not responding (503)"),
    (httpx.Response(500), SystemUnavailable, True, "Stripe is not responding (500)"),
    (httpx.Response(409), SystemUnavailable, True, "Stripe is not responding (409)"),
    (httpx.ReadTimeout("timed out"), OperationTimeout, True, "Stripe did not answer in time"),
    (httpx.ConnectTimeout("timed out"), OperationTimeout, True, "Stripe did not answer in time"),
    (httpx.ConnectError(f"failed for {SECRET}"), SystemUnavailable, True,
     "Stripe cannot be reached (connection failed)"),
    (httpx.RemoteProtocolError("peer closed"), SystemUnavailable, True,
     "Stripe cannot be reached (the connection broke off)"),
    (httpx.Response(200, text="{not json"), SystemUnavailable, True,
     "Stripe answered with something that is not JSON (200)"),
    (httpx.Response(200, content=b"\xff\xfe\x00"), SystemUnavailable, True,
     "Stripe answered with something that is not JSON (200)"),
    (httpx.Response(401, json={"error": {"message": f"Invalid API Key provided: {SECRET}"}}),
     AccessDenied, False,
     "Stripe refused our credentials (401): the key may be wrong, expired or revoked"),
    (httpx.Response(403), AccessDenied, False,
     "Stripe refused the request (403): our credentials lack a permission"),
    (httpx.Response(404), RecordNotFound, False, "Stripe has no such record (404)"),
    (httpx.Response(400, json={"error": {"message": f"bad {SECRET}"}}), PermanentOperationError,
     False, "Stripe refused the request (400)"),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "error", "retryable", "message"), ROWS)
async def test_each_failure_maps_to_one_error(
    answer: httpx.Response | Exception, error: type[OperationError], retryable: bool, message: str
) -> None:
    got = await outcome(answer)
    assert type(got) is error
    assert isinstance(got, OperationError)
    assert (got.retryable, str(got), got.system) == (retryable, message, "billing")
    assert SECRET not in str(got) and "api.example.test" not in str(got)


async def test_a_good_answer_is_its_json() -> None:
    assert await outcome(httpx.Response(200, json={"data": [1, 2]})) == {"data": [1, 2]}


async def test_retry_after_reaches_the_engine_in_seconds() -> None:
    got = await outcome(httpx.Response(429, headers={"Retry-After": "2.5"}))
    assert isinstance(got, RateLimited) and got.retry_after == 2.5


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7", NOW) == 7
    assert retry_after_seconds("Tue, 01 Dec 2026 09:00:30 GMT", NOW) == 30
    assert retry_after_seconds("Tue, 01 Dec 2026 08:00:00 GMT", NOW) == 0  # already past
    assert retry_after_seconds("-4", NOW) == 0
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


async def test_a_refused_connection_is_a_system_that_cannot_be_reached() -> None:
    with socket.socket() as sock:  # a port nobody listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        with pytest.raises(SystemUnavailable, match=r"^Stripe cannot be reached \(connection"):
            await send_json(
                http, http.build_request("GET", "/v1/customers"), system="billing",
                label="Stripe", clock=ManualClock(NOW),
            )  # fmt: skip
