"""The command line: `python -m cxos COMMAND`. With --json, output a script can read."""

import argparse
import json
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

from cxos.cli.backtest import backtest_arguments, render_backtest
from cxos.cli.cluster import cluster_arguments, cluster_output
from cxos.cli.imports import import_arguments, import_output
from cxos.cli.metrics import metrics_arguments, metrics_output
from cxos.cli.notices import notices_arguments, notices_output
from cxos.cli.route import route_arguments, route_output, rules_arguments, rules_output
from cxos.cli.serve_check import serve_check, serve_check_arguments
from cxos.cli.summaries import summaries_arguments, summaries_output
from cxos.cli.sync import sync_arguments, sync_output
from cxos.cli.train import train_arguments, train_output
from cxos.demo.build import build_demo, signal_count
from cxos.errors import CxosError
from cxos.kpis.digest import digest_arguments, digest_output
from cxos.routing.backtest import backtest_file
from cxos.signals.export import export_rows, write_csv, write_json
from cxos.store.store import Store


@dataclass(frozen=True)
class Command:
    """One `python -m cxos NAME` subcommand: its arguments and what it runs on the opened store.

    Only a setup command (`creates`) makes a SQLite file that is not there; every other one refuses it, so a
    deleted database is named as missing instead of answered from a new, empty one."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Store, argparse.Namespace], int]
    creates: bool = False

    def start(self, args: argparse.Namespace) -> int:
        return self.run(Store.open(args.database_url, create=self.creates), args)


@dataclass(frozen=True)
class OwnStoresCommand:
    """A subcommand that opens the stores it names itself: the default database is not opened or made."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]

    def start(self, args: argparse.Namespace) -> int:
        return self.run(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cxos", description="CX OS: fix it upstream or fix it forever."
    )
    parser.add_argument(
        "--database-url", help="overrides CXOS_DATABASE_URL (default: sqlite:///data/cxos.db)"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_arguments(subparsers.add_parser(command.name, help=command.help))
    args = parser.parse_args(argv)
    command = next(command for command in COMMANDS if command.name == args.command)
    try:
        return command.start(args)
    except CxosError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `… export | head` closed the pipe early: not an error
        sys.stderr.close()
        return 0


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def _demo_arguments(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("--signals", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument(
        "--anchor", type=_anchor, help="the demo's 'now' (YYYY-MM-DD); default: the current hour"
    )
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) when signals exist")
    demo.add_argument("--json", action="store_true")


def _export_arguments(export: argparse.ArgumentParser) -> None:
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--out", help="file to write (default: standard output)")


def _init(store: Store, args: argparse.Namespace) -> int:
    print(f"{store.backend} database is ready, its schema at the newest migration.", file=sys.stderr)
    return 0


def _migrate(store: Store, args: argparse.Namespace) -> int:
    print(f"{store.backend} schema is at the newest migration.", file=sys.stderr)
    return 0


def _demo(store: Store, args: argparse.Namespace) -> int:
    if args.if_empty and signal_count(store) > 0:
        print("Signals already exist; demo data not added.", file=sys.stderr)
        return 0
    started = time.perf_counter()
    built = build_demo(store, signals=args.signals, seed=args.seed, anchor=args.anchor)
    counts: dict[str, float] = {**built, "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        print(json.dumps(counts))
    else:
        print(
            f"Demo friction log: {counts['signals']:,} signals, {counts['events']:,} events, "
            f"{counts['failure_modes']} failure modes, {counts['fixes']} fixes in {counts['seconds']} s."
        )
    return 0


def _export(store: Store, args: argparse.Namespace) -> int:
    writer = write_csv if args.format == "csv" else write_json
    with open(args.out, "w", encoding="utf-8", newline="") if args.out else nullcontext(sys.stdout) as out:
        count = writer(export_rows(store), out)
    print(f"Exported {count:,} signals as {args.format}.", file=sys.stderr)
    return 0


def _backtest(store: Store, args: argparse.Namespace) -> int:
    report = backtest_file(
        args.file,
        text_col=args.text_col,
        owner_col=args.owner_col,
        holdout=args.holdout,
        rules_from=None if args.no_rules else store,
        threshold=args.threshold,
    )
    print(json.dumps(report.as_dict()) if args.json else render_backtest(report))
    return 0


def _sync(args: argparse.Namespace) -> int:
    out, status = sync_output(args)
    print(out, end="")
    return status


def _printed(
    output: Callable[[Store, argparse.Namespace], tuple[str, str]],
) -> Callable[[Store, argparse.Namespace], int]:
    """A command whose module returns (standard output, standard error) text, printed here."""

    def run(store: Store, args: argparse.Namespace) -> int:
        out, err = output(store, args)
        print(out, end="")
        print(err, end="", file=sys.stderr)
        return 0

    return run


def _anchor(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-21") from None


# Each later capability adds its Command here (its arguments and run function live in its own module).
COMMANDS: list[Command | OwnStoresCommand] = [
    Command(
        "init",
        "create the database (a new SQLite file) when there is none, migrated to the newest schema",
        _no_arguments,
        _init,
        creates=True,
    ),
    Command("migrate", "upgrade the database schema to the newest migration", _no_arguments, _migrate),
    Command(
        "demo",
        "fill an empty database with a realistic, deterministic friction log (creating it when there is none)",
        _demo_arguments,
        _demo,
        creates=True,
    ),
    Command("export", "every signal with its current state", _export_arguments, _export),
    Command(
        "route",
        "route every unrouted signal: rules first, then the owner model; the rest stays in triage",
        route_arguments,
        _printed(route_output),
    ),
    Command(
        "train",
        "train the owner model on the confirmed routes and store it for every app process",
        train_arguments,
        _printed(train_output),
    ),
    Command(
        "rules",
        "export the routing rules as YAML, or import them from a YAML file",
        rules_arguments,
        _printed(rules_output),
    ),
    Command(
        "backtest",
        "train the owner model on a labelled file and report how routing would have done",
        backtest_arguments,
        _backtest,
    ),
    Command(
        "cluster",
        "candidate failure modes and merge suggestions from recent signals (read-only)",
        cluster_arguments,
        _printed(cluster_output),
    ),
    Command(
        "import",
        "import a ticket or chat export (CSV, XLSX, Slack JSON) as signals; --dry-run to check first",
        import_arguments,
        _printed(import_output),
    ),
    Command(
        "digest",
        "the weekly digest in Markdown a manager can forward",
        digest_arguments,
        _printed(digest_output),
    ),
    Command(
        "metrics",
        "import monthly metrics (ticket volume, deflection, CSAT) from a CSV: all rows or none",
        metrics_arguments,
        _printed(metrics_output),
    ),
    Command(
        "rebuild-summaries",
        "recompute the summary tables (first routes, owner changes) from the events; says how many rows differed",
        summaries_arguments,
        _printed(summaries_output),
    ),
    Command(
        "send-notices",
        "one pass of the notice outbox: enqueue fixes due or overdue and the weekly digest, send what is pending",
        notices_arguments,
        _printed(notices_output),
    ),
    OwnStoresCommand(
        "sync",
        "copy every table from one store into an empty one (SQLite, PostgreSQL, Google Sheets), "
        "with counts and checksums per table on both sides",
        sync_arguments,
        _sync,
    ),
    OwnStoresCommand(
        "serve-check",
        "before the app starts: refuse a network address in local mode unless CXOS_ACCESS_CODE or single "
        "sign-on protects it (make run calls it)",
        serve_check_arguments,
        serve_check,
    ),
]
