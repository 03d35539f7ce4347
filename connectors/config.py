"""Which connectors run, as settings say: the ``[connectors]`` table of ``crosswire.toml``
(with secrets from the environment), read into :class:`ConnectorsConfig`.

    [connectors.rate_limits]          # a budget per system, over a connector's own default
    billing = { per_second = 20, burst = 10 }

The demo world always runs (the identity layer reads it), configured by the ``CROSSWIRE_DEMO_*``
settings (:class:`DemoConfig`); each other connector configured here serves its systems in place
of the demo world's.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from connectors.demo.behaviour import DemoBehaviour
from connectors.protocol import RateLimit


class DemoConfig(BaseModel):
    """The demo world: its file, its seed, and the latency and faults injected into it."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    database: Path = Path(".crosswire/demo.sqlite")
    seed: int = 7
    behaviour: DemoBehaviour = Field(default_factory=DemoBehaviour)


class ConnectorsConfig(BaseModel):
    """Every connector's settings (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_limits: dict[str, RateLimit] = Field(default_factory=dict)


__all__ = ["ConnectorsConfig", "DemoConfig"]
