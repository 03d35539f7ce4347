"""The ``crosswire`` command line: ``serve``, ``ask``, ``audit``, ``approvals``, ``schedule``,
``connectors`` and ``demo``."""

from __future__ import annotations

import argparse
import asyncio
import os
import select
import sys
import tomllib
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from pydantic import ValidationError

from bot.cli.identity import identity_match, identity_parsers
from bot.settings import Settings, explain, forget_slack_environment

QUIET_COMMANDS = ("ask", "audit", "approvals", "schedule", "demo", "connectors", "identity")


def _port(text: str) -> int:
    """A TCP port for ``--port`` (0: any free one)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crosswire", description="Cross-system AI workflows from Slack."
    )
    parser.add_argument("--version", action="version", version=f"crosswire {version('crosswire')}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the bot (Socket Mode, HTTP, or a local sandbox)")
    serve.add_argument(
        "--port", type=_port, default=3000, help="HTTP port, also for /healthz (default 3000)"
    )
    serve.add_argument("--host", default="0.0.0.0", help="HTTP interface (default 0.0.0.0)")
    chat = serve.add_mutually_exclusive_group()
    chat.add_argument(
        "--chat",
        dest="chat",
        action="store_true",
        default=None,
        help="sandbox: read chat lines from stdin even if it is not a terminal",
    )
    chat.add_argument(
        "--no-chat", dest="chat", action="store_false", help="sandbox: serve HTTP only"
    )

    ask = sub.add_parser("ask", help="run one objective without Slack and print the answer")
    ask.add_argument("objective", help='what you want, e.g. "brief me on Acme"')
    ask.add_argument(
        "--as",
        dest="email",
        required=True,
        metavar="EMAIL",
        help="who is asking (a person in the company directory)",
    )
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument(
        "--yes",
        action="store_true",
        help="run a plan that changes things without showing it first and asking",
    )

    audit = sub.add_parser("audit", help="read the audit record")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    listing = audit_sub.add_parser("list", help="recent runs, newest first")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--json", action="store_true")
    show = audit_sub.add_parser("show", help="one run: trigger, plan, every step, the answer")
    show.add_argument("run_id", help="a run id, or its unambiguous beginning")
    show.add_argument("--json", action="store_true")

    approvals = sub.add_parser("approvals", help="what waits for a decision, and what was decided")
    approvals_sub = approvals.add_subparsers(dest="approvals_command", required=True)
    waiting = approvals_sub.add_parser("list", help="waiting approvals first, then recent ones")
    waiting.add_argument(
        "--as",
        dest="email",
        metavar="EMAIL",
        help="only what waits for this person and what they asked for",
    )
    waiting.add_argument("--json", action="store_true")

    _schedule(sub)
    _identity(sub)

    connectors = sub.add_parser("connectors", help="the systems Crosswire is connected to")
    connectors_sub = connectors.add_subparsers(dest="connectors_command", required=True)
    check = connectors_sub.add_parser(
        "check",
        help="is each system reachable and authorised, and what can it do",
        epilog="Exit code 1 when any system is not reachable or not authorised.",
    )
    check.add_argument("--json", action="store_true")

    demo = sub.add_parser("demo", help="look into the built-in demo systems")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    outbox = demo_sub.add_parser("outbox", help="what the demo mailbox has sent, newest last")
    outbox.add_argument("--json", action="store_true")
    meetings = demo_sub.add_parser(
        "meetings", help="every demo calendar's meetings of the next 24 hours, with their ids"
    )
    meetings.add_argument("--json", action="store_true")
    _demo_meeting(demo_sub)
    standins = demo_sub.add_parser(
        "standins",
        help="serve local stand-ins of Stripe, HubSpot, Zendesk and Google, seeded from the "
        "demo world, until Ctrl-C",
        epilog="Prints the crosswire.toml tables and the environment variables that connect "
        "to them. Exit code 2 when DIR holds a crosswire.toml this command did not write.",
    )
    standins.add_argument(
        "--write",
        type=Path,
        metavar="DIR",
        help="also write DIR/crosswire.toml, DIR/standins.env and the Google key file",
    )
    return parser


def _schedule(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``schedule add --as EMAIL [--channel ID] [--tz TZ] WHEN OBJECTIVE``, ``list``, ``remove``."""
    schedule = sub.add_parser(
        "schedule",
        help="objectives run on a timetable",
        epilog="A running `crosswire serve` picks changes up at its next sync "
        "(CROSSWIRE_SCHEDULE_SYNC, every 30 s by default).",
    )
    schedule_sub = schedule.add_subparsers(dest="schedule_command", required=True)
    add = schedule_sub.add_parser(
        "add",
        help="run an objective on a timetable",
        epilog="Exit code 2 (with the reason) for an unknown person, time or channel.",
    )
    add.add_argument(
        "--as", dest="email", required=True, metavar="EMAIL", help="whose schedule (a person "
        "in the company directory): the runs are theirs, with their access"
    )  # fmt: skip
    add.add_argument(
        "--channel", metavar="CHANNEL_ID", help="post in this channel (default: a DM to them)"
    )
    add.add_argument("--tz", metavar="TZ", help="the time zone of WHEN (default UTC)")
    add.add_argument("when", metavar="WHEN", help='e.g. "every weekday at 8am" or "0 8 * * 1-5"')
    add.add_argument("objective", metavar="OBJECTIVE", help='e.g. "today\'s customer meetings"')
    listing = schedule_sub.add_parser("list", help="every schedule, with its next and last run")
    listing.add_argument("--json", action="store_true")
    remove = schedule_sub.add_parser("remove", help="remove a schedule")
    remove.add_argument("schedule_id", metavar="ID", help="an id from `crosswire schedule list`")


def _identity(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``identity same|different A B --as EMAIL`` and ``identity show WHO``."""
    identity_sub = identity_parsers(sub)
    for name, verdict in (("same", "are one"), ("different", "are not one")):
        decide = identity_sub.add_parser(
            name,
            help=f"say two records {verdict} (wins over the model, survives refreshes)",
            epilog='A record is "system:id" (crm:acct-0001), an email address, or a customer '
            "(its CRM record). Exit code 1 for a verdict that contradicts earlier ones, 2 for "
            "an unknown record or person.",
        )
        decide.add_argument("left", metavar="A")
        decide.add_argument("right", metavar="B")
        decide.add_argument(
            "--as", dest="email", required=True, metavar="EMAIL", help="who decides (audited)"
        )
    show = identity_sub.add_parser("show", help="an entity with its linked records and why")
    show.add_argument("query", metavar="WHO", help='a customer, an email address or "system:id"')
    show.add_argument("--json", action="store_true")


def _demo_meeting(demo_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``demo meeting move ID OFFSET`` and ``demo meeting cancel ID``."""
    meeting = demo_sub.add_parser("meeting", help="move or cancel one demo meeting")
    meeting_sub = meeting.add_subparsers(dest="meeting_command", required=True)
    move = meeting_sub.add_parser(
        "move",
        help="move a meeting, keeping its id",
        epilog="Exit code 2 for an unknown id or offset, 1 for a move into the past or of a "
        "cancelled meeting.",
    )
    move.add_argument("meeting_id", metavar="ID", help="an id from `crosswire demo meetings`")
    # REMAINDER, so that "-30m" is taken as the offset rather than as an unknown option.
    move.add_argument(
        "offset", nargs=argparse.REMAINDER, metavar="OFFSET", help="+15m, -30m, +2h or +1h30m"
    )
    cancel = meeting_sub.add_parser("cancel", help="cancel a meeting")
    cancel.add_argument("meeting_id", metavar="ID", help="an id from `crosswire demo meetings`")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Exit codes: 2 (and one line per problem) for settings that cannot
    work, 130 for Ctrl-C, 141 when the reader of the output went away (``| head``)."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # here, where a closed pipe is caught, rather than at exit
        return code
    except BrokenPipeError:
        if not _stdout_gone():
            raise  # another pipe (a socket, a server's): not the reader's doing
        # `crosswire audit list | head`: the reader has what it wanted. Stdout goes to the
        # null device, so that flushing it at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _stdout_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it."""
    poller = select.poll()
    poller.register(sys.stdout.fileno(), select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


def _run(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "identity" and args.identity_command == "match":
        return identity_match(args)  # files in, a file out: no settings needed
    settings = _settings()
    if settings is None:
        return 2
    # Imported once the settings are good (they import SQLAlchemy): `--help` and a bad setting
    # answer without them.
    from bot.logging import configure_logging, secrets_of
    from bot.startup import StartupError

    forget_slack_environment()
    quiet = args.command in QUIET_COMMANDS
    configure_logging(
        "WARNING" if quiet and settings.log_level == "INFO" else settings.log_level,
        settings.log_format,
        secrets=secrets_of(settings),
    )
    try:
        return asyncio.run(_dispatch(args, settings))
    except StartupError as exc:
        _complain(str(exc))
        return 2
    except KeyboardInterrupt:
        return 130


def _settings() -> Settings | None:
    try:
        return Settings()
    except ValidationError as exc:
        for line in explain(exc).splitlines():
            _complain(line)
    except tomllib.TOMLDecodeError as exc:
        _complain(f"crosswire.toml: {exc}")
    return None


def _complain(line: str) -> None:
    print(f"crosswire: {line}", file=sys.stderr)


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot.startup import check_settings

    await check_settings(settings)
    if args.command == "serve":
        from bot.serve import serve

        await serve(settings, host=args.host, port=args.port, chat=args.chat)
        return 0
    if args.command == "ask":
        from bot.cli.ask import ask

        return await ask(
            settings, args.objective, email=args.email, as_json=args.json, yes=args.yes
        )
    if args.command == "approvals":
        from bot.cli.approvals import approvals_list

        return await approvals_list(settings, email=args.email, as_json=args.json)
    if args.command == "schedule":
        return await _schedule_command(args, settings)
    if args.command == "demo":
        return await _demo(args, settings)
    if args.command == "identity":
        from bot.cli.identity_graph import identity_command

        return await identity_command(args, settings)
    if args.command == "connectors":
        from bot.cli.connectors import connectors_check

        return await connectors_check(settings, as_json=args.json)
    from bot.cli.audit import audit_list, audit_show

    if args.audit_command == "list":
        return await audit_list(settings, limit=args.limit, as_json=args.json)
    return await audit_show(settings, args.run_id, as_json=args.json)


async def _schedule_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import schedule

    if args.schedule_command == "add":
        return await schedule.schedule_add(
            settings,
            email=args.email,
            when=args.when,
            objective=args.objective,
            channel=args.channel,
            tz=args.tz,
        )
    if args.schedule_command == "list":
        return await schedule.schedule_list(settings, as_json=args.json)
    return await schedule.schedule_remove(settings, args.schedule_id)


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import demo

    if args.demo_command == "outbox":
        return await demo.demo_outbox(settings, as_json=args.json)
    if args.demo_command == "meetings":
        return await demo.demo_meetings(settings, as_json=args.json)
    if args.demo_command == "standins":
        from bot.cli.standins import demo_standins

        return await demo_standins(settings, write=args.write)
    if args.meeting_command == "move":
        return await demo.demo_meeting_move(settings, args.meeting_id, args.offset)
    return await demo.demo_meeting_cancel(settings, args.meeting_id)


if __name__ == "__main__":
    sys.exit(main())
