"""Source of truth: which system wins a field when systems disagree.

One TOML file (the packaged ``precedence.toml`` unless ``CROSSWIRE_PRECEDENCE_FILE`` names
another), read once at start, lists per field the systems from the most to the least trusted.
:meth:`Precedence.resolve` is pure: given what each system reported for a field, it says which
value wins, whose it is, and which other systems disagree and with what.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workflows.policy_files import PolicySource, first_problem


class PrecedenceError(ValueError):
    """A precedence file that cannot be used; the message names the file and the problem."""


_FILE = PolicySource(
    "precedence file",
    "workflows.library",
    "precedence.toml",
    "the packaged precedence.toml",
    PrecedenceError,
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldOrder(_Model):
    """One field's systems, most trusted first."""

    label: str = Field(default="", description="How the field is named to a reader")
    order: tuple[str, ...]

    @model_validator(mode="after")
    def _each_system_once(self) -> FieldOrder:
        if not self.order:
            raise ValueError("lists no systems (name at least one, most trusted first)")
        repeated = sorted({s for s in self.order if self.order.count(s) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        if any(not s.strip() for s in self.order):
            raise ValueError("names a system with an empty name")
        return self


class Reported(_Model):
    """One system's value of a field."""

    source: str
    value: str


class Resolution(_Model):
    """A field's winning value, its source, and the systems that say otherwise."""

    field: str
    value: str
    source: str
    dissent: tuple[Reported, ...] = ()

    @property
    def disputed(self) -> bool:
        return bool(self.dissent)


class Precedence(_Model):
    """The precedence of one file: per field, the order of the systems that win."""

    fields: dict[str, FieldOrder] = Field(default_factory=dict)
    source: str = Field(default="precedence", exclude=True)

    def rank(self, field: str, system: str) -> tuple[int, str]:
        """Where ``system`` stands for ``field``: listed systems by their place, the others
        after them by name (so an unlisted tie is still decided the same way every time)."""
        order = self.fields[field].order if field in self.fields else ()
        return (order.index(system), "") if system in order else (len(order), system)

    def resolve(self, field: str, reported: Mapping[str, str | None]) -> Resolution | None:
        """The winner among the systems that reported a value (None or blank: the system
        has none); None when no system did. Dissent lists the others whose value differs."""
        known = {s: v.strip() for s, v in reported.items() if v is not None and v.strip()}
        if not known:
            return None
        ranked = sorted(known, key=lambda s: self.rank(field, s))
        winner = ranked[0]
        dissent = tuple(
            Reported(source=s, value=known[s]) for s in ranked[1:] if known[s] != known[winner]
        )
        return Resolution(field=field, value=known[winner], source=winner, dissent=dissent)

    @classmethod
    def load(cls, path: Path | None = None) -> Precedence:
        """The precedence in ``path`` (None: the packaged demo defaults); raises
        :class:`PrecedenceError` naming the file and what is wrong with it."""
        text, source = _FILE.read(path)
        return cls.parse(text, source=source)

    @classmethod
    def parse(cls, text: str, *, source: str) -> Precedence:
        data = _FILE.table(text, source=source)
        try:
            return cls.model_validate({**data, "source": source})
        except ValidationError as exc:
            raise PrecedenceError(f"{source}: {first_problem(exc, plain=True)}") from None


__all__ = ["FieldOrder", "Precedence", "PrecedenceError", "Reported", "Resolution"]
