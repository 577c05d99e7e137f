"""`python -m cxos sync --from URL --to URL`: copy everything into an empty store, with counts and checksums."""

import argparse
import json
import sys
import time
from collections.abc import Sequence

from cxos import config
from cxos.store.store import Store
from cxos.store.sync import SyncReport, compare_stores, sync_stores

SHEET_URL_PREFIXES = ("gsheets", "https://docs.google.com/spreadsheets")  # as Store.open tells them apart
SHEET_TTL_S = 3600.0  # nobody else writes an empty target being synced: read the sheet only when asked to
SHOWN_HEX = 12


def sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="URL",
        help="sqlite:///…, postgresql://…, gsheets://SPREADSHEET_ID or gsheets+fake://NAME",
    )
    parser.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="URL",
        help="an empty, migrated store (a new SQLite file or sheet is made so)",
    )
    parser.add_argument(
        "--check", action="store_true", help="only count and checksum both sides; copy nothing"
    )
    parser.add_argument("--json", action="store_true")


def sync_output(args: argparse.Namespace) -> tuple[str, int]:
    """Run the sync (or the check); returns (standard output, exit status: 0 only when every table matches)."""
    source = open_for_sync(args.source)
    try:
        target = open_for_sync(args.target, create=not args.check)
        try:
            started = time.perf_counter()
            if args.check:
                report = compare_stores(source, target)
            else:
                report = sync_stores(source, target, progress=None if args.json else _progress)
            seconds = time.perf_counter() - started
        finally:
            target.dispose()
    finally:
        source.dispose()
    status = 0 if report.ok else 1
    if args.json:
        return json.dumps(report.as_dict() | {"seconds": round(seconds, 2)}) + "\n", status
    return render_report(report, seconds=seconds, copied=not args.check), status


def open_for_sync(url: str, *, create: bool = False) -> Store:
    """Store.open, except that a sheet waits out Google's per-minute quota instead of queueing: a sync is a
    batch job, and a queued copy would be an incomplete one."""
    url = config.normalise_url(url)
    if not url.startswith(SHEET_URL_PREFIXES):
        return Store.open(url, create=create)  # the target may be a new SQLite file; the source must exist
    from cxos.store.sheets.api import RetryPolicy
    from cxos.store.sheets.store import open_sheets_store

    return open_sheets_store(
        url, retry=RetryPolicy(waits=(5.0, 10.0, 20.0, 30.0, 60.0, 60.0), max_wait=60.0), ttl_s=SHEET_TTL_S
    )


def render_report(report: SyncReport, *, seconds: float, copied: bool = True) -> str:
    rows = [
        (
            t.name,
            f"{t.source_count:,}",
            t.source_checksum[:SHOWN_HEX],
            f"{t.target_count:,}",
            t.target_checksum[:SHOWN_HEX],
            "ok" if t.matches else "DIFFERS",
        )
        for t in report.tables
    ]
    headers = ("table", "source rows", "source sha256", "target rows", "target sha256", "result")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    right = {1, 3}

    def line(cells: Sequence[object]) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    done = f"Copied {report.copied:,} rows" if copied else "Compared"
    lines = [
        f"{done} from {report.source} to {report.target} in {seconds:.1f} s.",
        line(headers),
        line(["-" * w for w in widths]),
        *(line(row) for row in rows),
    ]
    lines += [f"note: {note}" for note in report.notes]
    differing = [t.name for t in report.tables if not t.matches]
    lines.append(
        "Every table matches."
        if not differing
        else f"{len(differing)} of {len(report.tables)} tables DIFFER: {', '.join(differing)}."
    )
    return "\n".join(lines) + "\n"


def _progress(table: str, rows: int) -> None:
    sys.stderr.write(f"  {table}: {rows:,} rows copied\n")
    sys.stderr.flush()
