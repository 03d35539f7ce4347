"""``python -m bot.sandbox``: the Slack Web API stand-in as a process of its own.

Prints its base URL (for ``SLACK_API_URL``) on the first line of stdout, then serves until
stdin closes or the process is terminated. ``GET /_sandbox/calls`` lists what it received.
``--staff`` makes Northwind's staff members of the workspace, as the sandbox chat does (so
approvals can be posted to Rachel Kim's DM).
Useful to run Crosswire against a local "Slack" in another process, as benchmarks do.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.sandbox.cast import join_workspace
from bot.sandbox.slack_api import SlackWebApiStandIn


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox")
    parser.add_argument("--token", help="the only bot token accepted (default: any)")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID=EMAIL",
        help="a workspace member, e.g. U0DANA=dana.reyes@northwind.example",
    )
    parser.add_argument(
        "--staff", action="store_true", help="make every Northwind employee a member too"
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    async with SlackWebApiStandIn(token=args.token) as standin:
        for member in args.user:
            user_id, _, email = member.partition("=")
            standin.add_user(user_id, email, email.split("@")[0])
        if args.staff:
            join_workspace(standin)
        print(standin.base_url, flush=True)
        await asyncio.to_thread(sys.stdin.read)


def main() -> None:
    asyncio.run(_serve(_parser().parse_args()))


if __name__ == "__main__":
    main()
