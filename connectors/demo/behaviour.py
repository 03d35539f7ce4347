"""Injected behaviour of the demo systems: latency and faults, for tests, drills and benchmarks.

``latency_ms`` is a system's response time (its own work happens within it) and, with
``faults``, is keyed by system id; the key ``"*"`` applies to every system
without its own entry. A fault ``"error"`` raises :class:`SystemUnavailable`; ``"timeout"``
never answers, so only the caller's time limit ends the call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeGuard, get_args

from connectors.demo.labels import SPOKEN
from connectors.errors import SystemUnavailable

Fault = Literal["error", "timeout"]


@dataclass(frozen=True)
class DemoBehaviour:
    """How the demo systems misbehave; the default is instant and healthy."""

    latency_ms: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    faults: Mapping[str, Fault] = field(default_factory=lambda: MappingProxyType({}))

    def latency_for(self, system: str) -> int:
        """Milliseconds added before ``system`` answers."""
        return self.latency_ms.get(system, self.latency_ms.get("*", 0))

    def fault_for(self, system: str) -> Fault | None:
        """The fault injected into ``system``, if any."""
        return self.faults.get(system, self.faults.get("*"))

    async def apply(self, system: str) -> None:
        """Wait the system's latency, then raise or hang if a fault is injected."""
        delay = self.latency_for(system)
        if delay:
            await asyncio.sleep(delay / 1000)
        match self.fault_for(system):
            case "error":
                name = SPOKEN.get(system, system)
                raise SystemUnavailable(
                    f"{name[0].upper()}{name[1:]} is not responding (503)", system=system
                )
            case "timeout":
                await asyncio.Event().wait()
            case None:
                pass

    @classmethod
    def parse(cls, latency: str = "", faults: str = "") -> DemoBehaviour:
        """Read settings strings: ``"*=200"`` or ``"crm=50,support=200"`` for latency,
        ``"support=error,billing=timeout"`` for faults. Raises ValueError on bad input."""
        lat = {k: _milliseconds(k, v) for k, v in _pairs("latency", latency)}
        flt = {k: _fault(k, v) for k, v in _pairs("faults", faults)}
        return cls(MappingProxyType(lat), MappingProxyType(flt))


def _pairs(setting: str, text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = (s.strip() for s in item.partition("="))
        if not sep or not key or not value:
            raise ValueError(f"{setting}: expected SYSTEM=VALUE, got {item!r}")
        if key != "*" and key not in SPOKEN:
            known = ", ".join(sorted(SPOKEN))
            raise ValueError(f"{setting}: unknown system {key!r} (known: *, {known})")
        pairs.append((key, value))
    return pairs


def _milliseconds(system: str, value: str) -> int:
    if not value.isdigit():
        raise ValueError(f"latency: {system}={value!r} is not a whole number of milliseconds")
    return int(value)


def _fault(system: str, value: str) -> Fault:
    if not _is_fault(value):
        raise ValueError(f"faults: {system}={value!r} must be 'error' or 'timeout'")
    return value


def _is_fault(value: str) -> TypeGuard[Fault]:
    return value in get_args(Fault)
