"""The HTTP endpoint under a few hundred malformed requests (seeded, so a failure replays).

A real ``start_http`` server on 127.0.0.1 serves the real app, wired to the Slack Web API
stand-in, which records every call the app makes. Three waves:

1. unverifiable requests of every kind: none gets a 500, and the app makes no Web API call;
2. signed but malformed bodies: none gets a 500, and nothing is posted;
3. signed mutations of Slack's real payloads (``tests/fixtures/slack``): none gets a 500.

Then the waves run again twice, and the process's peak memory must not grow with them.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import resource
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

import aiohttp
import pytest

from bot.http import EVENTS_PATH, bound_port, start_http
from bot.sandbox import payloads
from bot.sandbox.signing import sign
from bot.screening import MAX_BODY_BYTES
from tests.harness import SECRET, SlackHarness

SEED = 20261201
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
JSON_TYPE = payloads.JSON
FORM_TYPE = payloads.FORM
MEMORY_MARGIN_KB = 40 * 1024
# Odd but parseable: a command without a user (ignored) and a charset nobody needs (UTF-8 is).
PARSEABLE = ("form odd fields", "charset")


class Probe(NamedTuple):
    """One request to send: the exact bytes, their headers, and what it is (for messages)."""

    kind: str
    body: bytes
    headers: dict[str, str]


def signed(kind: str, body: bytes, content_type: str | None = JSON_TYPE) -> Probe:
    ts = int(time.time())
    headers = {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sign(body, SECRET, ts)}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return Probe(kind, body, headers)


def fixture_bodies() -> list[tuple[str, bytes, str]]:
    """Slack's real payloads: (name, body, content type); interactivity as ``payload=``."""
    found: list[tuple[str, bytes, str]] = []
    for path in sorted(FIXTURES.glob("*.json")):
        text = path.read_text()
        if json.loads(text).get("type") in ("event_callback", "url_verification"):
            found.append((path.stem, text.encode(), JSON_TYPE))
        else:
            found.append((path.stem, f"payload={quote(text)}".encode(), FORM_TYPE))
    command = (FIXTURES / "slash_command__slash_command_body.txt").read_text().strip()
    found.append(("slash_command", command.encode(), FORM_TYPE))
    return found


def odd_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            "",
            "x" * rng.randint(1, 50),
            "\x00\ud800",
            -1,
            2**70,
            1.5e308,
            True,
            [],
            [1, "a", None],
            {},
            {"type": 7},
            [[[[[[[[]]]]]]]],
        ]
    )


def mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """``value`` with one random part replaced, dropped or given an odd type."""
    if isinstance(value, dict) and value:
        key = rng.choice(list(value))
        mutated = dict(value)
        roll = rng.random()
        if roll < 0.2:
            del mutated[key]
        elif roll < 0.6 or depth > 6:
            mutated[key] = odd_value(rng)
        else:
            mutated[key] = mutate(rng, value[key], depth + 1)
        return mutated
    if isinstance(value, list) and value:
        index = rng.randrange(len(value))
        return [*value[:index], mutate(rng, value[index], depth + 1), *value[index + 1 :]]
    return odd_value(rng)


def deep(n: int) -> bytes:
    return ("[" * n + "]" * n).encode()


def malformed_bodies(rng: random.Random) -> Iterator[tuple[str, bytes, str | None]]:
    """Bodies no Slack request has: (kind, body, content type)."""
    yield "invalid json", b'{"type": "event_callback", "event": {', JSON_TYPE
    yield "trailing garbage", b'{"type": "event_callback"} }', JSON_TYPE
    yield "empty", b"", JSON_TYPE
    yield "random bytes", rng.randbytes(200), JSON_TYPE
    yield "invalid utf-8", b'{"text": "\xff\xfe\xc3"}', JSON_TYPE
    yield "lone surrogate bytes", b'{"text": "\xed\xa0\x80"}', JSON_TYPE
    yield "json list", b"[1, 2, 3]", JSON_TYPE
    yield "json string", b'"event_callback"', JSON_TYPE
    yield "json number", b"1e400", JSON_TYPE
    yield "json null", b"null", JSON_TYPE
    yield "huge integer", b'{"event_time": ' + b"9" * 5000 + b"}", JSON_TYPE
    for odd in ("a string", 7, [1], None, ["app_mention"]):
        envelope = {"type": "event_callback", "event_id": "Ev1", "event": odd}
        yield "event not an object", json.dumps(envelope).encode(), JSON_TYPE
    event = {"type": 7, "channel": "C1", "user": "U1", "ts": "1.1", "text": "hi"}
    yield (
        "event type not text",
        json.dumps({"type": "event_callback", "event": event}).encode(),
        (JSON_TYPE),
    )
    yield "authorizations not a list", b'{"type":"event_callback","authorizations":5}', JSON_TYPE
    yield "team a list", b'{"type":"block_actions","team":["id"]}', JSON_TYPE
    yield "nested 1000 deep", deep(1000), JSON_TYPE
    yield "nested 100000 deep", deep(100_000), JSON_TYPE
    yield "event nested deep", b'{"type":"event_callback","event":' + deep(500) + b"}", JSON_TYPE
    yield "payload=notjson", b"payload=notjson", FORM_TYPE
    yield "payload list", b"payload=%5B1%5D", FORM_TYPE
    yield "payload deep", b"payload=" + quote(deep(2000).decode()).encode(), FORM_TYPE
    actions = quote(json.dumps({"type": "block_actions", "actions": "x"}))
    yield "payload actions not a list", f"payload={actions}".encode(), FORM_TYPE
    yield "form odd fields", b"command=%2Fcrosswire&&&=&text=%00%ff&user_id", FORM_TYPE
    yield "form starting with a brace", b"{command=/crosswire", FORM_TYPE
    yield "ssl check list", b'["ssl_check"]', JSON_TYPE
    yield "text/plain", b'{"type":"event_callback"}', "text/plain"
    yield "multipart", b"--x\r\n\r\n--x--", "multipart/form-data; boundary=x"
    yield "no content type", b'{"type":"event_callback"}', None
    yield (
        "charset",
        b'{"type":"url_verification","challenge":"c"}',
        "application/json; charset=bogus",
    )
    yield "over the size cap", b'{"t":"' + b"a" * MAX_BODY_BYTES + b'"}', JSON_TYPE


def unverifiable(rng: random.Random, bodies: list[tuple[str, bytes, str]]) -> Iterator[Probe]:
    """Every malformed body and every real one, with headers that cannot be verified."""
    now = int(time.time())
    bad_headers: list[dict[str, str]] = [
        {},
        {"X-Slack-Request-Timestamp": "abc"},
        {"X-Slack-Request-Timestamp": ""},
        {"X-Slack-Request-Timestamp": "1.5", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": str(now - 301), "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=zz"},
        {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(b"x", SECRET, now)},
        {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(b"", "wrong", now)},
    ]
    samples = [*malformed_bodies(rng), *bodies]
    for kind, body, content_type in samples:
        for headers in rng.sample(bad_headers, 3):
            sent = (
                dict(headers) if content_type is None else {**headers, "Content-Type": content_type}
            )
            yield Probe(f"unverifiable {kind}", body, sent)
    for _, body, content_type in bodies:  # signed, then tampered with
        good = signed("tampered", body, content_type)
        yield Probe("tampered body", body + b" ", good.headers)
        stale = int(time.time()) - 600
        old = {**good.headers, "X-Slack-Request-Timestamp": str(stale)}
        yield Probe("stale", body, {**old, "X-Slack-Signature": sign(body, SECRET, stale)})


def signed_malformed(rng: random.Random) -> Iterator[Probe]:
    for kind, body, content_type in malformed_bodies(rng):
        yield signed(f"signed {kind}", body, content_type)
    for _ in range(40):
        yield signed("signed random bytes", rng.randbytes(rng.randint(1, 400)))
        text = "".join(rng.choice('{}[]",:0a\\u') for _ in range(rng.randint(1, 80)))
        yield signed("signed json-ish noise", text.encode())


def signed_mutations(rng: random.Random, bodies: list[tuple[str, bytes, str]]) -> Iterator[Probe]:
    for _ in range(120):
        name, body, content_type = rng.choice(bodies)
        if name == "slash_command":
            fields = body.decode().split("&")
            fields[rng.randrange(len(fields))] = rng.choice(["", "=", "text=%00", "user_id"])
            yield signed("mutated command", "&".join(fields).encode(), FORM_TYPE)
            continue
        text = body.decode()
        raw = json.loads(text) if content_type == JSON_TYPE else None
        if raw is None:
            raw = json.loads(unquote(text.removeprefix("payload=")))
        mutated = json.dumps(mutate(rng, raw))
        data = mutated if content_type == JSON_TYPE else f"payload={quote(mutated)}"
        encoded = data.encode("utf-8", "surrogatepass")
        if rng.random() < 0.15:
            encoded = encoded[: rng.randrange(len(encoded))]
        yield signed(f"mutated {name}", encoded, content_type)


class Outcome(NamedTuple):
    kind: str
    status: int


async def send_all(url: str, probes: list[Probe]) -> list[Outcome]:
    async with aiohttp.ClientSession() as session:

        async def one(probe: Probe) -> Outcome:
            async with session.post(url, data=probe.body, headers=probe.headers) as response:
                await response.read()
                return Outcome(probe.kind, response.status)

        outcomes: list[Outcome] = []
        for start in range(0, len(probes), 20):  # a bounded number in flight
            outcomes += await asyncio.gather(*(one(p) for p in probes[start : start + 20]))
        return outcomes


@pytest.fixture
async def endpoint(slack: SlackHarness) -> AsyncIterator[str]:
    runner = await start_http(slack.app, host="127.0.0.1", port=0)
    try:
        yield f"http://127.0.0.1:{bound_port(runner)}{EVENTS_PATH}"
    finally:
        await runner.cleanup()


def no_server_errors(outcomes: list[Outcome]) -> None:
    errors = [o for o in outcomes if o.status >= 500]
    assert errors == []


def posts(slack: SlackHarness) -> list[str]:
    return [c.method for c in slack.standin.calls if c.method.startswith(("chat.", "views."))]


async def fuzz_once(slack: SlackHarness, url: str, rng: random.Random, *, first: bool) -> int:
    """One pass of the three waves; returns how many requests were sent. On the ``first``
    pass nothing else is going on, so the stand-in's record shows what each wave caused."""
    bodies = fixture_bodies()
    unsigned = list(unverifiable(rng, bodies))
    outcomes = await send_all(url, unsigned)
    no_server_errors(outcomes)
    assert all(400 <= o.status < 500 for o in outcomes), [o for o in outcomes if o.status < 400]
    if first:
        assert slack.standin.calls == [], "an unverifiable request made the app call Slack"
    second = list(signed_malformed(rng))
    outcomes = await send_all(url, second)
    no_server_errors(outcomes)
    accepted = [o for o in outcomes if o.status < 400 and not o.kind.endswith(PARSEABLE)]
    assert accepted == []
    if first:
        assert posts(slack) == [], "a signed but malformed request made the app post"
    third = list(signed_mutations(rng, bodies))
    no_server_errors(await send_all(url, third))
    return len(unsigned) + len(second) + len(third)


def peak_rss_kb() -> int:
    gc.collect()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def test_malformed_requests_never_get_a_500_and_unverifiable_ones_never_act(
    slack: SlackHarness, endpoint: str
) -> None:
    rng = random.Random(SEED)
    sent = await fuzz_once(slack, endpoint, rng, first=True)
    assert sent > 300
    before = peak_rss_kb()
    for _ in range(2):
        await fuzz_once(slack, endpoint, random.Random(SEED), first=False)
    grown = peak_rss_kb() - before
    assert grown < MEMORY_MARGIN_KB, f"peak memory grew by {grown} KiB over two more passes"


async def test_an_event_nothing_listens_for_is_acknowledged_and_ignored(
    slack: SlackHarness, endpoint: str
) -> None:
    body = (FIXTURES / "events__valid_reaction_added_body.json").read_bytes()
    [outcome] = await send_all(endpoint, [signed("reaction_added", body)])
    assert outcome.status == 200  # anything else, and Slack retries it, then turns events off
    assert posts(slack) == []
