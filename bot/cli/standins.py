"""``crosswire demo standins [--write DIR]``: every vendor's local stand-in at once (Stripe,
HubSpot, Zendesk, and Google's Gmail and Calendar), seeded from the demo world, until Ctrl-C.

It prints the ``crosswire.toml`` tables and the environment variables that connect Crosswire
to them, so that swapping the demo systems for vendor APIs can be tried through configuration
alone; ``--write DIR`` also writes them as ``DIR/crosswire.toml`` and ``DIR/standins.env``,
with the Google service account's key file beside them. Without ``--write`` the key file is
kept in a temporary folder that goes when the stand-ins stop.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Final

from bot.settings import Settings
from bot.stopping import stop_signals
from connectors.demo import open_demo_world
from connectors.vendor_standins import ENV_FILE, KEY_FILE, TOML_FILE, vendor_standins
from workflows.clock import SystemClock

WRITTEN_MARK: Final = "# Written by `crosswire demo standins`"


async def demo_standins(settings: Settings, *, write: Path | None) -> int:
    """Serve the stand-ins until SIGINT or SIGTERM; exit 2 when ``write`` holds a
    ``crosswire.toml`` this command did not write (it is never overwritten)."""
    if write is not None and _foreign_config(write):
        print(f"crosswire: {write / TOML_FILE} exists and was not written by "
              "`crosswire demo standins`: choose another folder.", file=sys.stderr)  # fmt: skip
        return 2
    with _folder(write) as folder:
        async with AsyncExitStack() as stack:
            world = await open_demo_world(
                settings.demo_database, clock=SystemClock(), seed=settings.demo_seed
            )
            try:  # the stand-ins hold copies: the demo world is only read to seed them
                standins = await stack.enter_async_context(vendor_standins(world, folder))
            finally:
                await world.close()
            written = [] if write is None else standins.write(folder, mark=WRITTEN_MARK)
            async with stop_signals() as stopped:
                _announce(settings, standins.tables(), standins.exports(), written, folder)
                await stopped()
    print("Stopped: the stand-ins no longer answer.", flush=True)
    return 0


@contextmanager
def _folder(write: Path | None) -> Iterator[Path]:
    """``write`` made absolute, or a temporary folder removed when the block ends."""
    if write is not None:
        yield write.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="crosswire-standins-") as scratch:
        yield Path(scratch)


def _foreign_config(folder: Path) -> bool:
    config = folder / TOML_FILE
    return config.exists() and not config.read_text().startswith(WRITTEN_MARK)


def _announce(
    settings: Settings, tables: str, exports: str, written: list[Path], folder: Path
) -> None:
    print(
        "Stand-ins of Stripe, HubSpot, Zendesk and Google (Gmail and Calendar) are serving, "
        f"seeded from the demo world in {settings.demo_database}, until Ctrl-C.\n\n"
        f"Add these tables to crosswire.toml:\n\n{tables}\n"
        f"and set these variables where crosswire runs:\n\n{exports}"
    )
    if written:
        names = ", ".join(str(p) for p in [*written, folder / KEY_FILE])
        print(
            f"\nWritten: {names}. Then, in another terminal:\n\n"
            f"  cd {folder} && . ./{ENV_FILE} && crosswire connectors check"
        )
    else:
        print("\nThen, in another terminal: crosswire connectors check")
    print(flush=True)
