"""Write path: signals acknowledged per second with 1 and 20 writer threads, on SQLite and PostgreSQL.

Each case gets a fresh database (`Store.open` runs Alembic), the journey template, then N threads that
call `cxos.signals.writes.create_signal` in a loop for --seconds, each with its own client token as the quick
entry form sends. A write is acknowledged when `create_signal` returns. Afterwards the `signal` and
`event` tables are counted. Acknowledged must equal stored, and no "database is locked" may reach a user:
the exit status is 1 when either fails (speed is only printed, never judged).

    python bench/write_path.py [--seconds 30] [--threads 1,20] [--backends sqlite,postgres] [--json]
"""

import argparse
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

common.ensure_repo_on_path()

from sqlmodel import func, select  # noqa: E402

from cxos.identity import Actor  # noqa: E402
from cxos.journey.map import load_journey_template, touchpoint_options  # noqa: E402
from cxos.models import Event, Signal  # noqa: E402
from cxos.signals.writes import create_signal  # noqa: E402
from cxos.store.store import DatabaseBusy, Store  # noqa: E402
from cxos.vocabulary import Role, Severity, Source  # noqa: E402

ADMIN = Actor("bench", Role.ADMIN)
DEFAULT_SECONDS = 30.0
DEFAULT_THREADS = (1, 20)
BACKENDS = ("sqlite", "postgres")
SOURCES = list(Source)
SEVERITIES = list(Severity)


def run_case(backend: str, url: str, threads: int, seconds: float) -> dict[str, Any]:
    """One backend at one thread count, on the fresh database at `url`."""
    started_setup = time.perf_counter()
    store = Store.open(url, create=True)
    try:
        load_journey_template(store, actor=ADMIN)
        with store.read() as session:
            touchpoint_ids = [tp.id for tp in touchpoint_options(session)]
        setup_s = time.perf_counter() - started_setup

        barrier = threading.Barrier(threads + 1)
        clock = {"deadline": 0.0}
        results: list[dict[str, Any]] = [
            {"latencies": [], "ids": [], "errors": Counter()} for _ in range(threads)
        ]
        run_id = f"{time.time_ns() % 10**12}"

        def writer(number: int) -> None:
            mine = results[number]
            actor = Actor(f"bench-writer-{number:02d}", Role.CONTRIBUTOR)
            barrier.wait()
            deadline = clock["deadline"]
            attempt = 0
            while time.perf_counter() < deadline:
                attempt += 1
                signal_in = {
                    "title": f"Bench friction {number}-{attempt}: checkout retried twice",
                    "source": SOURCES[attempt % len(SOURCES)],
                    "touchpoint_id": touchpoint_ids[(number + attempt) % len(touchpoint_ids)],
                    "description": "Logged by the write-path benchmark.",
                    "account": f"Bench account {attempt % 97}",
                    "severity": SEVERITIES[attempt % len(SEVERITIES)],
                    "client_token": f"bench-{run_id}-{number}-{attempt}",
                }
                began = time.perf_counter()
                try:
                    signal = create_signal(store, signal_in=signal_in, actor=actor)
                except Exception as error:  # every failure is what a person would see: count it by message
                    mine["errors"][_describe(error)] += 1
                    continue
                mine["latencies"].append(time.perf_counter() - began)
                mine["ids"].append(signal.id)

        pool = [threading.Thread(target=writer, args=(n,), name=f"bench-writer-{n}") for n in range(threads)]
        for thread in pool:
            thread.start()
        clock["deadline"] = time.perf_counter() + seconds
        began = time.perf_counter()
        barrier.wait()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - began

        with store.read() as session:
            stored = session.exec(select(func.count()).select_from(Signal)).one()
            signal_events = session.exec(
                select(func.count())
                .select_from(Event)
                .where(Event.entity == "signal", Event.action == "created")
            ).one()
            events_total = session.exec(select(func.count()).select_from(Event)).one()
    finally:
        store.dispose()

    latencies = [x for r in results for x in r["latencies"]]
    ids = [x for r in results for x in r["ids"]]
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
    acknowledged = len(latencies)
    locked = sum(n for message, n in errors.items() if "locked" in message.lower())
    return {
        "backend": backend,
        "threads": threads,
        "seconds": elapsed,
        "setup_s": setup_s,
        "acknowledged": acknowledged,
        "distinct_ids": len(set(ids)),
        "stored": stored,
        "signal_events": signal_events,
        "events_total": events_total,
        "signals_per_s": acknowledged / elapsed if elapsed else 0.0,
        "p50_ms": common.percentile(latencies, 50) * 1000,
        "p95_ms": common.percentile(latencies, 95) * 1000,
        "p99_ms": common.percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000 if latencies else None,
        "errors": dict(errors),
        "error_count": sum(errors.values()),
        "locked_errors": locked,
        "ok": acknowledged == stored and locked == 0,
    }


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    kind = "DatabaseBusy" if isinstance(error, DatabaseBusy) else type(error).__name__
    return f"{kind}: {text[:240]}"


def run(
    *,
    seconds: float = DEFAULT_SECONDS,
    thread_counts: tuple[int, ...] = DEFAULT_THREADS,
    backends: tuple[str, ...] = BACKENDS,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "benchmark": "write_path",
        "seconds_per_case": seconds,
        "thread_counts": list(thread_counts),
        "cases": [],
        "skipped": [],
    }
    for backend in backends:
        if backend == "sqlite":
            for threads in thread_counts:
                common.log(f"write path: SQLite, {threads} thread(s), {seconds:g} s…")
                with common.temp_sqlite_url() as url:
                    result["cases"].append(run_case("SQLite", url, threads, seconds))
        elif backend == "postgres":
            admin_url = common.postgres_admin_url()
            reason = common.postgres_unreachable(admin_url)
            if reason:
                result["skipped"].append(
                    {"backend": "PostgreSQL", "reason": f"{_safe(admin_url)} unreachable: {reason}"}
                )
                common.log(f"write path: PostgreSQL skipped ({reason})")
                continue
            result["postgres_version"] = common.postgres_server_version(admin_url)
            for threads in thread_counts:
                common.log(f"write path: PostgreSQL, {threads} thread(s), {seconds:g} s…")
                with common.temp_postgres_database(admin_url) as url:
                    result["cases"].append(run_case("PostgreSQL", url, threads, seconds))
        else:
            raise SystemExit(f"unknown backend {backend!r}; use {', '.join(BACKENDS)}")
    result["ok"] = all(case["ok"] for case in result["cases"])
    return result


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def render(result: dict[str, Any]) -> str:
    headers = [
        "backend",
        "threads",
        "run s",
        "acknowledged",
        "stored",
        "events",
        "signals/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
        "locked",
        "ack = stored",
    ]
    rows = [
        [
            c["backend"],
            c["threads"],
            common.fmt(c["seconds"], 1),
            c["acknowledged"],
            c["stored"],
            c["signal_events"],
            common.fmt(c["signals_per_s"], 1),
            common.fmt(c["p50_ms"], 2),
            common.fmt(c["p95_ms"], 2),
            common.fmt(c["p99_ms"], 2),
            common.fmt(c["max_ms"], 1),
            c["error_count"],
            "YES" if c["locked_errors"] else "no",
            "yes" if c["acknowledged"] == c["stored"] else "NO",
        ]
        for c in result["cases"]
    ]
    out = [
        common.format_table(
            headers,
            rows,
            title=(
                f"Write path: create_signal for {result['seconds_per_case']:g} s per case "
                f"(events = 'created' events of signals)"
            ),
        )
    ]
    if result.get("postgres_version"):
        out.append(f"PostgreSQL server {result['postgres_version']}.")
    for case in result["cases"]:
        for message, count in sorted(case["errors"].items(), key=lambda kv: -kv[1]):
            out.append(f"  error ({case['backend']}, {case['threads']} threads) x{count}: {message}")
        if case["distinct_ids"] != case["acknowledged"]:
            out.append(
                f"  note ({case['backend']}, {case['threads']} threads): {case['acknowledged']} acknowledged "
                f"but {case['distinct_ids']} distinct ids returned"
            )
    for skipped in result["skipped"]:
        out.append(f"{skipped['backend']} skipped: {skipped['reason']}")
    out.append(
        "Write path check: "
        + (
            "OK (acknowledged = stored, no 'locked' error reached a user)"
            if result["ok"]
            else "FAILED (see 'ack = stored' and 'locked' columns)"
        )
    )
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="per case (default 30)")
    parser.add_argument(
        "--threads", default=",".join(map(str, DEFAULT_THREADS)), help="comma-separated (default 1,20)"
    )
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated: sqlite,postgres")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(
        seconds=args.seconds,
        thread_counts=tuple(int(t) for t in args.threads.split(",") if t.strip()),
        backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
    )
    result["machine"] = common.machine_info()
    if not args.json:
        print(common.render_machine(result["machine"]))
    common.emit(result, as_json=args.json, render=render)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
