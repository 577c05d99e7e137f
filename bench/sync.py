"""`python -m cxos sync` on the 3,000-signal demo: SQLite → SQLite, → PostgreSQL, → Google Sheets (the fake), and
the sheet back into SQLite: seconds, rows per second, and for the sheet the requests it took.

    python bench/sync.py [--signals 3000] [--seed 7] [--json]

The demo database is `python -m cxos demo --signals N --seed S`, cached in bench/out/ (see friction_log_page.py).
Each case is `cxos.store.sync.sync_stores` into a new, empty store: the copy, then the count and checksum of every
table on both sides (for a sheet, after reading it back). The sheet is the in-process fake of the Sheets v4
endpoints through the real gspread client, counting every request; its seconds are the fake's, not Google's (a
real request takes ~100–500 ms more), and Google allows 60 read and 60 write requests a minute, so "quota
minutes" (the larger of reads and writes, over 60) is the least a real sheet would take.
PostgreSQL: CXOS_BENCH_POSTGRES_URL is the admin URL (see write_path.py); skipped, with the reason, when
unreachable.
"""

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

common.ensure_repo_on_path()

from bench.friction_log_page import DEFAULT_SEED, demo_database  # noqa: E402
from cxos.store.sheets import layout  # noqa: E402
from cxos.store.store import Store  # noqa: E402
from cxos.store.sync import SyncReport, sync_stores  # noqa: E402

QUOTA_PER_MINUTE = 60
SHEET = "bench-sync"


def timed_sync(
    name: str, open_source: Callable[[], Store], open_target: Callable[[], Store], server=None
) -> dict[str, Any]:
    """One sync as the CLI runs it: both stores opened (a sheet is read on opening), copied, checked, closed."""
    before = _requests(server)
    started = time.perf_counter()
    source, target = open_source(), open_target()
    report: SyncReport = sync_stores(source, target)
    source.dispose()
    target.dispose()
    seconds = time.perf_counter() - started
    after = _requests(server)
    case = {
        "case": name,
        "seconds": seconds,
        "rows": report.copied,
        "rows_per_s": report.copied / seconds,
        "ok": report.ok,
        "differing": [t.name for t in report.tables if not t.matches],
        "checksums": {t.name: (t.target_count, t.target_checksum) for t in report.tables},
    }
    if server is not None:
        case |= {kind: after[kind] - before[kind] for kind in after}
        case["quota_minutes"] = max(case["read"], case["write"]) / QUOTA_PER_MINUTE
    common.log(f"{name}: {seconds:.1f} s, {'ok' if report.ok else 'DIFFERS'}")
    return case


def _requests(server) -> dict[str, int]:
    return {kind: server.count(kind) for kind in ("read", "write", "token")} if server is not None else {}


def run(*, signals: int, seed: int) -> dict[str, Any]:
    from cxos.store.sheets.fake_api import FakeSheetsServer, service_account_info
    from cxos.store.sheets.store import open_sheets_store

    database = demo_database(signals, seed)
    demo_url = f"sqlite:///{database['path']}"
    key = service_account_info()
    server = FakeSheetsServer(quota_per_minute=10**9)  # count requests; waiting out the quota is not measured
    server.create_spreadsheet(SHEET)
    cases, skipped = [], {}
    with tempfile.TemporaryDirectory(prefix="cxos_bench_") as folder:

        def sheet(cache: str) -> Callable[[], Store]:
            return lambda: open_sheets_store(
                f"gsheets://{SHEET}",
                service_account=key,
                transport=server,
                cache_path=Path(folder) / cache,
                ttl_s=3600,
            )

        with common.temp_sqlite_url() as url:
            cases.append(
                timed_sync(
                    "SQLite → SQLite", lambda: Store.open(demo_url), lambda: Store.open(url, create=True)
                )
            )
        admin = common.postgres_admin_url()
        why = common.postgres_unreachable(admin)
        if why:
            skipped["SQLite → PostgreSQL"] = why
            common.log(f"PostgreSQL skipped: {why}")
        else:
            with common.temp_postgres_database(admin) as url:
                cases.append(
                    timed_sync("SQLite → PostgreSQL", lambda: Store.open(demo_url), lambda: Store.open(url))
                )
        cases.append(
            timed_sync(
                "SQLite → Google Sheets (fake)", lambda: Store.open(demo_url), sheet("target.db"), server
            )
        )
        with common.temp_sqlite_url() as url:  # the sheet read into a new working copy, then copied out
            cases.append(
                timed_sync(
                    "Google Sheets (fake) → SQLite",
                    sheet("reader.db"),
                    lambda: Store.open(url, create=True),
                    server,
                )
            )
    same = len({tuple(sorted(case.pop("checksums").items())) for case in cases}) == 1
    return {
        "machine": common.machine_info(),
        "signals": signals,
        "seed": seed,
        "demo": database,
        "cases": cases,
        "skipped": skipped,
        "same_checksums_everywhere": same,
    }


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            c["case"],
            c["rows"],
            c["seconds"],
            round(c["rows_per_s"]),
            "ok" if c["ok"] else "DIFFERS",
            c.get("read", math.nan),
            c.get("write", math.nan),
            c.get("token", math.nan),
            c.get("quota_minutes", math.nan),
        ]
        for c in result["cases"]
    ]
    demo = result["demo"]["demo"]
    table = common.format_table(
        ["case", "rows", "seconds", "rows/s", "checksums", "reads", "writes", "tokens", "quota minutes"],
        rows,
        title=f"sync of the {result['signals']:,}-signal demo (seed {result['seed']}: {demo['signals']:,} signals, "
        f"{demo['events']:,} events, {len(layout.tables())} tables)",
    )
    lines = [table]
    lines += [f"{name}: skipped ({why})" for name, why in result["skipped"].items()]
    lines.append(
        "Every target holds the same counts and checksums: "
        + ("yes" if result["same_checksums_everywhere"] else "NO")
    )
    lines.append(common.render_machine(result["machine"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(signals=args.signals, seed=args.seed)
    common.emit(result, as_json=args.json, render=render)
    return 0 if result["same_checksums_everywhere"] and all(c["ok"] for c in result["cases"]) else 1


if __name__ == "__main__":
    sys.exit(main())
