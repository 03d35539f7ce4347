"""Service-account credentials for Google APIs: a JWT signed with the account's RSA key (RS256)
is exchanged at the token endpoint for an access token (OAuth 2.0 JWT bearer grant, RFC 7523),
acting as ``subject`` through domain-wide delegation.

The key file's contents never leave this module: errors name the file's path and what is wrong
with it, never its fields. A token is kept until a minute before it expires, and dropped when
an API refuses it (401) so that the next call asks for a new one.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from connectors.errors import AccessDenied
from connectors.http import send_json
from workflows.clock import Clock
from workflows.errors import PermanentOperationError

GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LIFETIME: Final = timedelta(hours=1)  # the longest assertion Google accepts
EARLY: Final = timedelta(minutes=1)  # renew a token this long before it expires


class KeyFileProblem(ValueError):
    """The service-account key file cannot be used; the message names the path only."""


@dataclass(frozen=True, repr=False)
class ServiceAccountKey:
    """A service account's identity and its private key (never shown by ``repr``)."""

    client_email: str
    private_key: rsa.RSAPrivateKey
    key_id: str = ""

    def __repr__(self) -> str:
        return f"ServiceAccountKey({self.client_email})"

    @classmethod
    def from_file(cls, path: Path) -> ServiceAccountKey:
        """The key of a JSON key file as Google's console downloads it."""
        try:
            raw = json.loads(path.read_text())
        except OSError:
            raise KeyFileProblem(f"the key file {path} cannot be read") from None
        except ValueError:
            raise KeyFileProblem(f"the key file {path} is not JSON") from None
        if not isinstance(raw, dict) or raw.get("type") != "service_account":
            raise KeyFileProblem(f"the key file {path} is not a service account's key")
        try:
            key = serialization.load_pem_private_key(str(raw["private_key"]).encode(), None)
            email = str(raw["client_email"])
        except (KeyError, ValueError, TypeError):
            raise KeyFileProblem(f"the key file {path} has no usable private key") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyFileProblem(f"the key file {path} does not hold an RSA key")
        return cls(email, key, str(raw.get("private_key_id", "")))

    def assertion(self, *, scopes: str, subject: str, audience: str, now: datetime) -> str:
        """The signed JWT asking for ``scopes`` on behalf of ``subject``."""
        issued = int(now.timestamp())
        header = {"alg": "RS256", "typ": "JWT", **({"kid": self.key_id} if self.key_id else {})}
        claims = {
            "iss": self.client_email,
            "sub": subject,
            "scope": scopes,
            "aud": audience,
            "iat": issued,
            "exp": issued + int(LIFETIME.total_seconds()),
        }
        signed = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self.private_key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signed}.{_b64(signature)}"


class TokenSource:
    """Access tokens for one subject and one set of scopes, kept until shortly before they
    expire; ``http`` is a client for the token endpoint (its own, pooled)."""

    def __init__(
        self,
        key: ServiceAccountKey,
        *,
        http: httpx.AsyncClient,
        token_url: str,
        scopes: str,
        subject: str,
        label: str,
        system: str,
        clock: Clock,
    ) -> None:
        self.key, self.http, self.token_url = key, http, token_url
        self.scopes, self.subject, self.label, self.system = scopes, subject, label, system
        self.clock = clock
        self._token: str | None = None
        self._expires = datetime.min
        self._lock = asyncio.Lock()
        self.exchanges = 0  # how many times a token was asked for

    async def token(self) -> str:
        async with self._lock:
            now = self.clock.now()
            if self._token is None or now >= self._expires - EARLY:
                self._token, self._expires = await self._exchange(now)
            return self._token

    def forget(self, token: str) -> None:
        """``token`` was refused: the next :meth:`token` asks for a new one."""
        if self._token == token:
            self._token = None

    async def _exchange(self, now: datetime) -> tuple[str, datetime]:
        assertion = self.key.assertion(
            scopes=self.scopes, subject=self.subject, audience=self.token_url, now=now
        )
        request = self.http.build_request(
            "POST", self.token_url, data={"grant_type": GRANT, "assertion": assertion}
        )
        self.exchanges += 1
        try:
            body = await send_json(
                self.http, request, system=self.system, label=self.label, clock=self.clock
            )
        except PermanentOperationError:  # 400 invalid_grant, 401 invalid_client
            raise AccessDenied(
                f"{self.label} refused the service account's credentials: the key may be "
                f"revoked, or not delegated for {self.subject}",
                system=self.system,
            ) from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AccessDenied(f"{self.label} gave no access token", system=self.system)
        seconds = body.get("expires_in", 3600)
        lifetime = timedelta(seconds=seconds if isinstance(seconds, int | float) else 3600)
        return token, now + lifetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


__all__ = ["KeyFileProblem", "ServiceAccountKey", "TokenSource"]
