"""The vendor stand-ins (Stripe, HubSpot, Zendesk, Google) in a process of their own, as the
vendors are for a real deployment: the process under test spends no CPU answering them.

``python -m benchmarks.remote_vendors FOLDER SUBJECT LATENCIES`` seeds every stand-in from a
demo world (the default seed, as the process under test's own), writes the service account's
key file in FOLDER, and prints one JSON line saying where each stand-in is and its secrets.
Each line ``stamps`` on its stdin is answered with one JSON line: the arrival time of every
request so far (``time.monotonic()``, the same clock in every process), by stand-in and path.
It stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.logging import configure_logging
from connectors.config import ConnectorsConfig
from connectors.demo import open_demo_world
from connectors.google.standin import GoogleStandIn
from connectors.hubspot.standin import HubSpotStandIn
from connectors.standin import StandInServer
from connectors.stripe.standin import StripeStandIn
from connectors.zendesk.standin import ZendeskStandIn
from workflows.clock import SystemClock

SERVICE_ACCOUNT: Final = "crosswire@northwind-ops.iam.gserviceaccount.com"
KEY_FILE: Final = "service-account.json"


@dataclass
class RemoteVendors:
    """The running child: where the stand-ins are, and a way to read their request logs."""

    found: dict[str, Any]
    process: asyncio.subprocess.Process

    def connectors(self) -> ConnectorsConfig:
        """Settings connecting Stripe, HubSpot, Zendesk and Google to the stand-ins."""
        f = self.found
        return ConnectorsConfig.model_validate({
            "stripe": {"base_url": f["stripe"]["url"], "api_key": f["stripe"]["api_key"]},
            "hubspot": {"base_url": f["hubspot"]["url"],
                        "access_token": f["hubspot"]["access_token"]},
            "zendesk": {"base_url": f["zendesk"]["url"], "email": f["zendesk"]["email"],
                        "api_token": f["zendesk"]["api_token"]},
            "google": {"key_file": f["key_file"], "subject": f["subject"],
                       "token_url": f["google"]["token_url"], "gmail_url": f["google"]["url"],
                       "calendar_url": f["google"]["url"]},
        })  # fmt: skip

    async def stamps(self) -> dict[str, list[tuple[str, float]]]:
        """Every request each stand-in has seen: (path, arrival time)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"stamps\n")
        await self.process.stdin.drain()
        line = await asyncio.wait_for(self.process.stdout.readline(), 30)
        found: dict[str, list[tuple[str, float]]] = json.loads(line)
        return found


@asynccontextmanager
async def remote_vendors(
    folder: Path, subject: str, latency_s: dict[str, float]
) -> AsyncIterator[RemoteVendors]:
    """Start the child and stop it (by closing its stdin) afterwards."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.remote_vendors", str(folder), subject,
        json.dumps(latency_s), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        yield RemoteVendors(json.loads(line), process)
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()


async def _serve(folder: Path, subject: str, latency_s: dict[str, float]) -> None:
    configure_logging("WARNING", "json")  # stdout carries the answers; logs go to stderr
    world = await open_demo_world(folder / "seed.sqlite", clock=SystemClock())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = _write_key(folder / KEY_FILE, key)
    stripe = StripeStandIn(latency_s=latency_s["stripe"])
    hubspot = HubSpotStandIn(latency_s=latency_s["hubspot"])
    zendesk = ZendeskStandIn(latency_s=latency_s["zendesk"])
    google = GoogleStandIn(public_key=key.public_key(), client_email=SERVICE_ACCOUNT,
                           subjects=[subject], latency_s=latency_s["google"])  # fmt: skip
    servers: dict[str, StandInServer[Any]] = {
        "stripe": stripe, "hubspot": hubspot, "zendesk": zendesk, "google": google,
    }  # fmt: skip
    with ExitStack() as stack:
        for server in servers.values():
            stack.enter_context(server)
        for seeded in (stripe, hubspot, zendesk, google):
            await seeded.seed_from(world)
        await world.close()
        _say({
            "stripe": {"url": stripe.url, "api_key": stripe.api_key},
            "hubspot": {"url": hubspot.url, "access_token": hubspot.access_token},
            "zendesk": {"url": zendesk.url, "email": zendesk.email, "api_token": zendesk.api_token},
            "google": {"url": google.url, "token_url": google.token_url},
            "key_file": str(key_file), "subject": subject,
        })  # fmt: skip
        loop = asyncio.get_running_loop()
        while (await loop.run_in_executor(None, sys.stdin.readline)).strip() == "stamps":
            _say({name: [(s.path, s.at) for s in list(server.seen)]
                  for name, server in servers.items()})  # fmt: skip


def _say(value: Any) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> Path:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "bench", "private_key_id": os.urandom(20).hex(),
        "private_key": pem.decode(), "client_email": SERVICE_ACCOUNT,
        "token_uri": "https://oauth2.googleapis.com/token",
    }))  # fmt: skip
    return path


if __name__ == "__main__":
    asyncio.run(_serve(Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])))
