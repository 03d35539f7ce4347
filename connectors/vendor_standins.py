"""Every vendor stand-in at once (Stripe, HubSpot, Zendesk, and Google's Gmail and Calendar),
each seeded from one demo world, on local ports: the set a drill or a test connects Crosswire
to through configuration alone.

    async with vendor_standins(world, folder) as standins:
        standins.tables()        # the crosswire.toml tables that name them
        standins.environment()   # the secrets, as environment variables
        standins.write(folder)   # both as files: crosswire.toml and standins.env

Google signs in with a service account, so a key pair is made for each set: the stand-in holds
the public key and the private key is written as a JSON key file in ``folder`` (readable by
its owner only), which ``GOOGLE_APPLICATION_CREDENTIALS`` names. The other secrets are the
stand-ins' own fixed test values. Nothing here reaches the internet.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.demo.store import DemoWorld
from connectors.google.standin import GoogleStandIn
from connectors.hubspot.standin import HubSpotStandIn
from connectors.stripe.standin import StripeStandIn
from connectors.zendesk.standin import ZendeskStandIn
from workflows.clock import SystemClock

SERVICE_ACCOUNT: Final = "crosswire@northwind-ops.iam.gserviceaccount.com"
SUBJECT: Final = "dana.reyes@northwind.example"  # whose mailbox and calendar Google serves
KEY_FILE: Final = "service-account.json"
TOML_FILE: Final = "crosswire.toml"
ENV_FILE: Final = "standins.env"


@dataclass(frozen=True)
class VendorStandIns:
    """The running stand-ins, and how to connect to them."""

    stripe: StripeStandIn
    hubspot: HubSpotStandIn
    zendesk: ZendeskStandIn
    google: GoogleStandIn
    key_file: Path
    subject: str = SUBJECT

    def tables(self) -> str:
        """The ``[connectors.*]`` tables of ``crosswire.toml`` that name every stand-in."""
        g = self.google
        return (
            f'[connectors.stripe]\nbase_url = "{self.stripe.url}"\n\n'
            f'[connectors.hubspot]\nbase_url = "{self.hubspot.url}"\n\n'
            f'[connectors.zendesk]\nbase_url = "{self.zendesk.url}"\n\n'
            f'[connectors.google]\nsubject = "{self.subject}"\n'
            f'token_url = "{g.token_url}"\ngmail_url = "{g.url}"\ncalendar_url = "{g.url}"\n'
        )

    def environment(self) -> dict[str, str]:
        """The secrets the connectors read from the environment, by variable."""
        return {
            "STRIPE_API_KEY": self.stripe.api_key,
            "HUBSPOT_ACCESS_TOKEN": self.hubspot.access_token,
            "ZENDESK_EMAIL": self.zendesk.email,
            "ZENDESK_API_TOKEN": self.zendesk.api_token,
            "GOOGLE_APPLICATION_CREDENTIALS": str(self.key_file),
        }

    def exports(self) -> str:
        """:meth:`environment` as ``export NAME=value`` lines for a POSIX shell."""
        return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in self.environment().items())

    def write(self, folder: Path, *, mark: str = "") -> list[Path]:
        """``crosswire.toml`` (the tables) and ``standins.env`` (the exports) in ``folder``,
        each under ``mark`` (a comment line) when given."""
        folder.mkdir(parents=True, exist_ok=True)
        toml, env = folder / TOML_FILE, folder / ENV_FILE
        head = f"{mark}\n" if mark else ""
        toml.write_text(head + self.tables())
        env.write_text(head + self.exports())
        env.chmod(0o600)
        return [toml, env]


@asynccontextmanager
async def vendor_standins(
    world: DemoWorld,
    folder: Path,
    *,
    now: Callable[[], datetime] | None = None,
    subject: str = SUBJECT,
) -> AsyncIterator[VendorStandIns]:
    """Every stand-in, started and seeded from ``world``, until the block ends; the service
    account's key file is written in ``folder``. ``now`` is Google's clock (token lifetimes,
    the dates of sent mail): a test's injected one; by default the wall clock."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = write_key_file(folder, key)
    google = GoogleStandIn(
        public_key=key.public_key(),
        client_email=SERVICE_ACCOUNT,
        subjects=[subject],
        now=now or SystemClock().now,
    )
    async with AsyncExitStack() as stack:
        servers = (StripeStandIn(), HubSpotStandIn(), ZendeskStandIn(), google)
        for server in servers:
            stack.enter_context(server)
        stripe, hubspot, zendesk, _ = servers
        for seeded in (stripe, hubspot, zendesk, google):
            await seeded.seed_from(world)
        yield VendorStandIns(stripe, hubspot, zendesk, google, key_file, subject)


def write_key_file(folder: Path, key: rsa.RSAPrivateKey) -> Path:
    """A JSON key file as Google's console downloads it, readable by its owner only."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    content = {
        "type": "service_account",
        "project_id": "northwind-ops",
        "private_key_id": os.urandom(20).hex(),
        "private_key": pem.decode(),
        "client_email": SERVICE_ACCOUNT,
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(content, out)
    return path.resolve()


__all__ = [
    "ENV_FILE",
    "KEY_FILE",
    "SERVICE_ACCOUNT",
    "SUBJECT",
    "TOML_FILE",
    "VendorStandIns",
    "vendor_standins",
    "write_key_file",
]
