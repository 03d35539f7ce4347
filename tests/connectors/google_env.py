"""The mailbox and calendar operations of both implementations over one demo world: the demo
world's own, and Google's (Gmail and Calendar) against the Google stand-in seeded from that
world, authorised by a service-account key pair made here (never a committed secret)."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.demo import DemoBehaviour, DemoWorld, demo_operations
from connectors.google import GoogleConnector, open_google
from connectors.google.config import GoogleConfig
from connectors.google.standin import GoogleStandIn
from connectors.identity import IdentityDirectory
from tests.connectors.demo_env import demo_state
from workflows.catalog import AnyOperation
from workflows.clock import Clock, ManualClock

SERVICE_ACCOUNT = "crosswire@northwind-ops.iam.gserviceaccount.com"
DANA = "dana.reyes@northwind.example"
SYSTEMS = ("email", "calendar")


@functools.cache
def key_pair() -> rsa.RSAPrivateKey:
    """A service account's RSA key, made once per test process."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_key_file(folder: Path, key: rsa.RSAPrivateKey | None = None) -> Path:
    """A JSON key file as Google's console downloads it, for ``key`` (the test key pair)."""
    pem = (key or key_pair()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = folder / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "northwind-ops",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem.decode(), "client_email": SERVICE_ACCOUNT,
        "token_uri": "https://oauth2.googleapis.com/token",
    }))  # fmt: skip
    return path


def google_standin(clock: Clock, *, latency_s: float = 0.0) -> GoogleStandIn:
    return GoogleStandIn(
        public_key=key_pair().public_key(), client_email=SERVICE_ACCOUNT, subjects=[DANA],
        now=clock.now, latency_s=latency_s,
    )  # fmt: skip


def google_config(standin: GoogleStandIn, key_file: Path, **more: object) -> GoogleConfig:
    return GoogleConfig.model_validate({
        "key_file": key_file, "subject": DANA, "token_url": standin.token_url,
        "gmail_url": standin.url, "calendar_url": standin.url, **more,
    })  # fmt: skip


@dataclass
class Comms:
    """One implementation's ``email.*`` and ``calendar.*`` operations, by name."""

    name: str
    operations: dict[str, AnyOperation]
    world: DemoWorld
    directory: IdentityDirectory
    clock: ManualClock
    standin: GoogleStandIn | None = None
    connector: GoogleConnector | None = None


@asynccontextmanager
async def comms(name: str, tmp_path: Path, *, timeout: float = 5) -> AsyncIterator[Comms]:
    async with demo_state(tmp_path) as demo:
        world, directory, clock = demo.world, demo.directory, demo.clock
        if name == "demo":
            ops = demo_operations(world, directory, DemoBehaviour())
            yield Comms(name, _comms(ops), world, directory, clock)
            return
        with google_standin(clock) as standin:
            await standin.seed_from(world)
            config = google_config(standin, write_key_file(tmp_path), timeout_s=timeout)
            connector = open_google(config, clock=clock)
            try:
                ops = list(connector.operations(directory))
                yield Comms(name, _comms(ops), world, directory, clock, standin, connector)
            finally:
                await connector.aclose()


def _comms(ops: list[AnyOperation]) -> dict[str, AnyOperation]:
    return {op.name: op for op in ops if op.system in SYSTEMS}
