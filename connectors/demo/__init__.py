"""Northwind Labs' built-in demo systems: CRM, mailbox, calendar, support desk, contracts,
product usage, billing, marketing and scheduling, on one SQLite file.

    world = await open_demo_world(path, clock=workflows.clock.SystemClock())  # follows its day
    directory = await connectors.identity.build_directory(world)
    operations = demo_operations(world, directory, DemoBehaviour.parse("*=50", ""))
"""

from typing import TYPE_CHECKING

from connectors.demo.behaviour import DemoBehaviour, Fault
from connectors.demo.labels import DEMO_SYSTEM_LABELS
from workflows.lazy import lazy_exports

if TYPE_CHECKING:  # the operations import the engine (and DBOS): not with the settings
    from connectors.demo.operations import demo_operations
    from connectors.demo.store import DemoRead, DemoWorld, open_demo_world
    from connectors.demo.world import generate_world

__getattr__ = lazy_exports(
    __name__,
    {
        "demo_operations": "connectors.demo.operations",
        "DemoRead": "connectors.demo.store",
        "DemoWorld": "connectors.demo.store",
        "open_demo_world": "connectors.demo.store",
        "generate_world": "connectors.demo.world",
    },
)

__all__ = [
    "DEMO_SYSTEM_LABELS",
    "DemoBehaviour",
    "DemoRead",
    "DemoWorld",
    "Fault",
    "demo_operations",
    "generate_world",
    "open_demo_world",
]
