"""Settings of the Google connector: the ``[connectors.google]`` table of ``crosswire.toml``.

    [connectors.google]               # Gmail and Google Calendar, one service account
    subject = "dana.reyes@northwind.example"   # the mailbox and calendar it acts as
    calendar_id = "team@northwind.example"     # the calendar meetings are read from
    # key_file = "/etc/crosswire/google.json"  # or GOOGLE_APPLICATION_CREDENTIALS

Every base URL can point at a sandbox, a proxy or the local stand-in
(:mod:`connectors.google.standin`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

TOKEN_URL: Final = "https://oauth2.googleapis.com/token"


class GoogleConfig(BaseModel):
    """Gmail (``gmail``) and Google Calendar (``calendar``) through one service account."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_file: Path | None = None
    subject: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    calendar_id: str = "primary"
    gmail: bool = True
    calendar: bool = True
    token_url: str = TOKEN_URL
    gmail_url: str = "https://gmail.googleapis.com"
    calendar_url: str = "https://www.googleapis.com"
    timeout_s: float = Field(10.0, gt=0, le=120)
    max_connections: int = Field(10, ge=1, le=100)

    @field_validator("token_url", "gmail_url", "calendar_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError(
                "should be an http:// or https:// URL, e.g. https://www.googleapis.com"
            )
        return value.strip().rstrip("/")

    def secrets(self) -> list[str]:
        """The key file's private key and its id, for the log redactor (nothing when the
        file cannot be read: then nothing of it can be logged either)."""
        if self.key_file is None:
            return []
        try:
            raw = json.loads(self.key_file.read_text())
        except (OSError, ValueError):
            return []
        if not isinstance(raw, dict):
            return []
        found = [str(raw.get(k, "")) for k in ("private_key", "private_key_id")]
        return [s for s in found if s]
