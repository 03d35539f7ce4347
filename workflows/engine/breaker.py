"""A circuit breaker per system, so a system that keeps failing is not hammered.

After ``threshold`` consecutive failures a system's circuit opens for ``cooldown`` seconds;
calls fail fast meanwhile. The first call after the cooldown is a trial: success closes the
circuit, failure opens it again. State is per process, which is enough to shed load.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Circuit:
    failures: int = 0
    opened_at: float | None = None


@dataclass
class CircuitBreakers:
    threshold: int = 5
    cooldown: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _circuits: dict[str, _Circuit] = field(default_factory=dict)

    def allows(self, system: str) -> bool:
        circuit = self._circuits.get(system)
        if circuit is None or circuit.opened_at is None:
            return True
        return self.clock() - circuit.opened_at >= self.cooldown

    def succeeded(self, system: str) -> None:
        self._circuits.pop(system, None)

    def failed(self, system: str) -> None:
        circuit = self._circuits.setdefault(system, _Circuit())
        circuit.failures += 1
        if circuit.failures >= self.threshold:
            circuit.opened_at = self.clock()

    def is_open(self, system: str) -> bool:
        return not self.allows(system)
