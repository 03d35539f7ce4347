"""A circuit breaker per system, so a system that keeps failing is neither hammered nor waited
for by every run.

A circuit opens after ``threshold`` consecutive failures, or sooner, after
``timeout_threshold`` consecutive timeouts (a call that hung or was cut off late) each within
``window`` of the one before: a hung system costs every run that asks it the whole wait, so
it is shed quickly. While open, calls fail fast for ``cooldown``. After the cooldown the
circuit is half-open and lets exactly one call through, the probe; every other call meanwhile
fails fast. The probe's success closes the circuit, its failure opens it again. A probe that
never reports back (its caller vanished) is given up after another cooldown.

Every decision reads time from the injected clock, so tests move through windows and cooldowns
without waiting. State is per process, which is enough to shed load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflows.clock import Clock, SystemClock


@dataclass
class _Circuit:
    failures: int = 0
    timeouts: int = 0
    last_timeout_at: datetime | None = None
    opened_at: datetime | None = None
    probe_since: datetime | None = None
    reason: str = ""


@dataclass
class CircuitBreakers:
    """The circuits of every system, keyed by system id."""

    threshold: int = 5
    timeout_threshold: int = 2
    window: float = 60.0  # seconds
    cooldown: float = 30.0  # seconds
    clock: Clock = field(default_factory=SystemClock)
    _circuits: dict[str, _Circuit] = field(default_factory=dict)

    def allows(self, system: str) -> bool:
        """Whether a call to ``system`` may go out now. Granting the half-open circuit's one
        probe counts: the caller must then report it (:meth:`succeeded`, :meth:`failed` or
        :meth:`timed_out`)."""
        circuit = self._circuits.get(system)
        if circuit is None or circuit.opened_at is None:
            return True
        now = self.clock.now()
        if _seconds(now - circuit.opened_at) < self.cooldown:
            return False
        if circuit.probe_since is not None and _seconds(now - circuit.probe_since) < self.cooldown:
            return False
        circuit.probe_since = now
        return True

    def succeeded(self, system: str) -> None:
        self._circuits.pop(system, None)

    def failed(self, system: str) -> None:
        """A call failed in a way other than a timeout (an error, a refusal, a bug)."""
        circuit = self._circuits.setdefault(system, _Circuit())
        circuit.failures += 1
        circuit.timeouts, circuit.last_timeout_at = 0, None
        if circuit.failures >= self.threshold or circuit.probe_since is not None:
            self._open(circuit, f"it failed the last {_times(circuit.failures)} it was asked")

    def timed_out(self, system: str) -> None:
        """A call got no answer in time: its own time limit, or cut off by its run."""
        circuit = self._circuits.setdefault(system, _Circuit())
        now = self.clock.now()
        last = circuit.last_timeout_at
        recent = last is not None and _seconds(now - last) <= self.window
        circuit.timeouts = circuit.timeouts + 1 if recent else 1
        circuit.failures += 1
        circuit.last_timeout_at = now
        if (
            circuit.timeouts >= self.timeout_threshold
            or circuit.failures >= self.threshold
            or circuit.probe_since is not None
        ):
            self._open(circuit, f"no answer the last {_times(circuit.timeouts)} it was asked")

    def is_open(self, system: str) -> bool:
        """Whether calls to ``system`` fail fast now (a pure query: it grants no probe)."""
        circuit = self._circuits.get(system)
        if circuit is None or circuit.opened_at is None:
            return False
        return _seconds(self.clock.now() - circuit.opened_at) < self.cooldown

    def reason(self, system: str) -> str:
        """Why the circuit of ``system`` opened, for the people reading the answer."""
        circuit = self._circuits.get(system)
        return circuit.reason if circuit else ""

    def _open(self, circuit: _Circuit, reason: str) -> None:
        circuit.opened_at, circuit.probe_since, circuit.reason = self.clock.now(), None, reason


def _seconds(elapsed: timedelta) -> float:
    return elapsed.total_seconds()


def _times(count: int) -> str:
    return "time" if count == 1 else f"{count} times"
