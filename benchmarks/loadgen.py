"""The load generator of the ack benchmark, run as a child process so that building, signing
and timing 200 requests does not share the server's event loop (Slack is another machine).

    python -m benchmarks.loadgen '{"url": ..., "secret": ..., "events": 200, ...}'

Protocol on stdio: after the warm-up requests it prints ``{"warm": ...}`` and waits for one
line on stdin (the parent lets the warm-up runs finish first); then it fires the burst and
prints one JSON line with the per-request latencies. Every request is a signed ``app_mention``
with its own ``event_id``; the clock of one request starts when it may go (a concurrency slot
is free) and stops when the HTTP response (the ack) has been read.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from typing import Any

import aiohttp

from bot.sandbox import payloads
from bot.sandbox.signing import signed_headers


def _mention(text: str, user: str, channel: str, secret: str) -> tuple[bytes, dict[str, str]]:
    payload = payloads.app_mention(
        text, user=user, channel=channel, event_id="Ev" + uuid.uuid4().hex.upper()
    )
    body = payload.body.encode()
    return body, signed_headers(body, secret, content_type=payload.content_type)


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> tuple[float, int]:
    t0 = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        return time.perf_counter() - t0, response.status


async def main(cfg: dict[str, Any]) -> dict[str, Any]:
    url, secret = cfg["url"], cfg["secret"]
    text, user, channel = cfg["text"], cfg["user"], cfg["channel"]
    concurrency = int(cfg["concurrency"])
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=float(cfg.get("timeout_s", 30)))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        warm = []
        for _ in range(int(cfg["warmup"])):
            body, headers = _mention(text, user, channel, secret)
            warm.append(await _post(session, url, body, headers))
        print(json.dumps({"warm": [w[1] for w in warm]}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        # Built and signed before the clock starts: the burst measures the server only.
        requests = [_mention(text, user, channel, secret) for _ in range(int(cfg["events"]))]
        gate = asyncio.Semaphore(concurrency)

        async def one(body: bytes, headers: dict[str, str]) -> tuple[float, int]:
            async with gate:
                try:
                    return await _post(session, url, body, headers)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    return float("nan"), -1 if not isinstance(exc, TimeoutError) else -2

        t0 = time.perf_counter()
        results = await asyncio.gather(*(one(b, h) for b, h in requests))
        wall = time.perf_counter() - t0
    return {
        "latencies_s": [r[0] for r in results],
        "statuses": [r[1] for r in results],
        "burst_wall_s": wall,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))), flush=True)
