"""The command line: `python -m cxos migrate | demo | export`. With --json, output a script can read."""

import argparse
import json
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime

from cxos.demo import build_demo, signal_count
from cxos.errors import CxosError
from cxos.export import export_rows, write_csv, write_json
from cxos.store import Store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cxos", description="CX OS: fix it upstream or fix it forever.")
    parser.add_argument("--database-url", help="overrides CXOS_DATABASE_URL (default: sqlite:///data/cxos.db)")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="upgrade the database schema to the newest migration")

    demo = commands.add_parser("demo", help="fill an empty database with a realistic, deterministic friction log")
    demo.add_argument("--signals", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--anchor", type=_anchor, help="the demo's 'now' (YYYY-MM-DD); default: the current hour")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) when signals exist")
    demo.add_argument("--json", action="store_true")

    export = commands.add_parser("export", help="every signal with its current state")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--out", help="file to write (default: standard output)")

    args = parser.parse_args(argv)
    try:
        store = Store.open(args.database_url)
        return COMMANDS[args.command](store, args)
    except CxosError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `… export | head` closed the pipe early: not an error
        sys.stderr.close()
        return 0


def _migrate(store: Store, args: argparse.Namespace) -> int:
    print(f"{store.backend} schema is at the newest migration.", file=sys.stderr)
    return 0


def _demo(store: Store, args: argparse.Namespace) -> int:
    if args.if_empty and signal_count(store) > 0:
        print("Signals already exist; demo data not added.", file=sys.stderr)
        return 0
    started = time.perf_counter()
    counts = build_demo(store, signals=args.signals, seed=args.seed, anchor=args.anchor)
    counts["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(counts))
    else:
        print(f"Demo friction log: {counts['signals']:,} signals, {counts['events']:,} events, "
              f"{counts['failure_modes']} failure modes, {counts['fixes']} fixes in {counts['seconds']} s.")
    return 0


def _export(store: Store, args: argparse.Namespace) -> int:
    writer = write_csv if args.format == "csv" else write_json
    with open(args.out, "w", encoding="utf-8", newline="") if args.out else nullcontext(sys.stdout) as out:
        count = writer(export_rows(store), out)
    print(f"Exported {count:,} signals as {args.format}.", file=sys.stderr)
    return 0


def _anchor(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-21") from None


COMMANDS = {"migrate": _migrate, "demo": _demo, "export": _export}
