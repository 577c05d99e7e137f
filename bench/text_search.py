"""The friction log's text search at scale: the trigram index (migration t006) beside the substring scan it
replaced, on the same database, on SQLite and on PostgreSQL.

For each search text: how many signals match, then the log's two queries for it (the capped count and the
first page of 50, newest first), run as the page runs them, once with `text_matches` (the index) and once
with `substring_scan` (every row read; on PostgreSQL that is the same ILIKE with bitmap scans turned off). Median of --repeats runs, wall and this process's CPU seconds
(PostgreSQL's work is in the server, so its CPU column is small), with the load average.

    python bench/text_search.py [--signals 100000] [--seed 7] [--repeats 5] [--no-postgres] [--json]
"""

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.friction_log_page import demo_database  # noqa: E402

TEXTS = ("SSO", "invoice", "Acme", "export fails", "zqxj")  # common, common, an account, a phrase, nothing


def _time_search(store: Any, condition: Any, repeats: int, *, index: bool) -> dict[str, float | int]:
    from sqlalchemy import func, text
    from sqlmodel import col, select

    from cxos.models import Signal
    from cxos.signals.queries import COUNT_CAP

    walls, cpus, found = [], [], 0
    for _ in range(repeats):
        began, cpu = time.perf_counter(), time.process_time()
        with store.read() as session:
            if not index and not store.is_sqlite:  # the same ILIKE either way: the planner is told to scan
                session.execute(text("SET LOCAL enable_bitmapscan = off"))
            matching = select(Signal.id).where(condition).limit(COUNT_CAP + 1)
            found = session.exec(select(func.count()).select_from(matching.subquery())).one()
            page = select(Signal.id, Signal.title).where(condition)
            page = page.order_by(col(Signal.created_at).desc(), col(Signal.id).desc()).limit(50)
            session.exec(page).all()
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
    return {"found": found, "wall_s": common.median(walls), "cpu_s": common.median(cpus)}


def _measure(backend: str, url: str, repeats: int) -> list[dict[str, Any]]:
    from cxos.signals.text_search import substring_scan, text_matches
    from cxos.store.store import Store

    store = Store(url)
    rows = []
    for text in TEXTS:
        indexed = _time_search(store, text_matches(text), repeats, index=True)
        scanned = _time_search(store, substring_scan(text), repeats, index=False)
        if indexed["found"] != scanned["found"]:
            raise SystemExit(
                f"{backend}: {text!r} found {indexed['found']} by the index, {scanned['found']} by a scan"
            )
        rows.append(
            {"backend": backend, "text": text, "found": indexed["found"], "index": indexed, "scan": scanned}
        )
        common.log(f"{backend} {text!r}: index {indexed['wall_s']:.3f} s, scan {scanned['wall_s']:.3f} s")
    store.dispose()
    return rows


def run(*, signals: int, seed: int, repeats: int, postgres: bool) -> dict[str, Any]:
    from cxos.store.store import Store
    from cxos.store.sync import sync_stores

    database = demo_database(signals, seed)
    result: dict[str, Any] = {
        "machine": common.machine_info(),
        "signals": signals,
        "load_before": os.getloadavg(),
        "rows": [],
    }
    with tempfile.TemporaryDirectory(prefix="cxos_bench_") as directory:
        copy = Path(directory) / "search.db"
        shutil.copy(database["path"], copy)
        url = f"sqlite:///{copy}"
        Store.open(
            url
        ).dispose()  # migrate the copy to head (builds the index if the cached demo predates it)
        result["rows"] += _measure("sqlite", url, repeats)
        admin = common.postgres_admin_url()
        why_not = common.postgres_unreachable(admin) if postgres else "--no-postgres"
        if why_not:
            result["postgres_skipped"] = why_not
        else:
            with common.temp_postgres_database(admin) as pg_url:
                source, target = Store.open(url), Store.open(pg_url, create=True)
                sync_stores(source, target)
                source.dispose()
                target.dispose()
                result["rows"] += _measure("postgresql", pg_url, repeats)
    result["load_after"] = os.getloadavg()
    return result


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            r["backend"],
            repr(r["text"]),
            f"{r['found']:,}",
            common.fmt(r["index"]["wall_s"]),
            common.fmt(r["index"]["cpu_s"]),
            common.fmt(r["scan"]["wall_s"]),
            common.fmt(r["scan"]["cpu_s"]),
            common.fmt_ratio(common.ratio(r["scan"]["wall_s"], r["index"]["wall_s"])),
        ]
        for r in result["rows"]
    ]
    table = common.format_table(
        [
            "backend",
            "text",
            "found",
            "index wall s",
            "index cpu s",
            "scan wall s",
            "scan cpu s",
            "scan/index",
        ],
        rows,
        title=f"Text search, {result['signals']:,} signals (capped count + first page of 50; median)",
    )
    load = f"load average before {result['load_before'][0]:.2f}, after {result['load_after'][0]:.2f}"
    skipped = f"\nPostgreSQL skipped: {result['postgres_skipped']}" if "postgres_skipped" in result else ""
    return f"{table}\n{load}{skipped}\n{common.render_machine(result['machine'])}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(signals=args.signals, seed=args.seed, repeats=args.repeats, postgres=not args.no_postgres)
    common.emit(result, as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
