"""The one way a TOML policy file is read (the access policy, the field precedence, the
approval policy): the packaged default or a path, parsed as TOML, each failure that
kind of file's own error in one line naming the file and what is wrong with it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class PolicySource:
    """Where one kind of policy file lives: ``what`` names a given file in messages
    ("access policy file"), ``packaged`` the default ("the packaged access policy.toml"),
    which is ``resource`` in ``package``; ``error`` is what its problems raise."""

    what: str
    package: str
    resource: str
    packaged: str
    error: type[Exception]

    def read(self, path: Path | None) -> tuple[str, str]:
        """The text of ``path`` (None: the packaged default) and its name for messages."""
        if path is None:
            return resources.files(self.package).joinpath(self.resource).read_text(), self.packaged
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise self.error(f"{self.what} {path}: cannot be read ({reason})") from None
        return text, f"{self.what} {path}"

    def table(self, text: str, *, source: str) -> dict[str, Any]:
        """``text`` parsed as TOML."""
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise self.error(f"{source}: not valid TOML ({exc})") from None


def first_problem(exc: ValidationError, *, plain: bool = False) -> str:
    """``where: what`` for the first thing pydantic found wrong (``plain``: without the
    "Value error, " a validator's message comes with)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "the file"
    msg = str(first["msg"])
    return f"{where}: {msg.removeprefix('Value error, ') if plain else msg}"


__all__ = ["PolicySource", "first_problem"]
