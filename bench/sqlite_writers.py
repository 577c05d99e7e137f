"""SQLite under a burst of writer processes: calls, errors people would see, and how long each call waited.

For each process count (20 and 50; `--processes`), a fresh SQLite file gets the journey template, then N
processes (each its own Python, its own `Store`, as app replicas or CLI runs on one file are) call
`cxos.signals.writes.create_signal` in a loop for --seconds, all starting at the same instant. A call's
wait is the time from calling to its return: the queue for the write lock plus the write itself. Every
exception is counted as an error, by message. Afterwards the signals are counted: stored must equal acknowledged.
`--no-queue` runs the same burst without the lock file beside the database (SQLite's busy handler alone,
as before the queue), for comparison. Exit status 1 when an error reached a caller or a row is missing.

    python bench/sqlite_writers.py [--seconds 20] [--processes 20,50] [--no-queue] [--json]
"""

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

common.ensure_repo_on_path()

from sqlmodel import func, select  # noqa: E402

from cxos.identity import Actor  # noqa: E402
from cxos.journey.map import load_journey_template, touchpoint_options  # noqa: E402
from cxos.models import Signal  # noqa: E402
from cxos.store.store import Store  # noqa: E402
from cxos.vocabulary import Role  # noqa: E402

DEFAULT_SECONDS = 20.0
DEFAULT_PROCESSES = (20, 50)
START_DELAY_S = 1.0  # after the last process is ready, so that all of them start together


def writer(
    number: int, url: str, queue: bool, ready: Any, start_at: Any, results: Any, seconds: float
) -> None:
    """One writer process: log signals until the deadline, report waits and errors."""
    import cxos.store.store as store_module
    from cxos.signals.writes import create_signal

    if not queue:
        store_module.file_lock = _no_lock  # type: ignore[assignment]
    store = Store(url)
    with store.read() as session:
        touchpoint_ids = [tp.id for tp in touchpoint_options(session)]
    actor = Actor(f"writer-{number:02d}", Role.CONTRIBUTOR)
    ready.release()
    while start_at.value == 0.0:
        time.sleep(0.01)
    time.sleep(max(0.0, start_at.value - time.time()))
    deadline = time.monotonic() + seconds
    waits: list[float] = []
    errors: Counter[str] = Counter()
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        began = time.monotonic()
        try:
            create_signal(
                store,
                signal_in={
                    "title": f"Burst friction {number}-{attempt}",
                    "source": "ticket",
                    "touchpoint_id": touchpoint_ids[attempt % len(touchpoint_ids)],
                    "client_token": f"burst-{number}-{attempt}",
                },
                actor=actor,
            )
        except Exception as error:  # what a person would see, counted by message
            errors[f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"] += 1
            continue
        waits.append(time.monotonic() - began)
    store.dispose()
    results.put({"waits": waits, "errors": dict(errors)})


@contextmanager
def _no_lock(path: Path, *, wait_s: float):  # type: ignore[no-untyped-def]
    yield 0.0


def run_case(processes: int, seconds: float, queue: bool) -> dict[str, Any]:
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="cxos_bench_writers_") as directory:
        url = f"sqlite:///{Path(directory) / 'burst.db'}"
        store = Store.open(url, create=True)
        load_journey_template(store, actor=Actor("bench", Role.ADMIN))
        store.dispose()
        ready, start_at, results = spawn.Semaphore(0), spawn.Value("d", 0.0), spawn.Queue()
        workers = [
            spawn.Process(target=writer, args=(n, url, queue, ready, start_at, results, seconds))
            for n in range(processes)
        ]
        for process in workers:
            process.start()
        for _ in workers:
            ready.acquire()
        load_before = common.machine_info()["load_average"]
        start_at.value = time.time() + START_DELAY_S
        reports = [results.get() for _ in workers]
        for process in workers:
            process.join()
        load_after = common.machine_info()["load_average"]
        store = Store(url)
        with store.read() as session:
            stored = session.exec(select(func.count()).select_from(Signal)).one()
        store.dispose()
    waits = [w for r in reports for w in r["waits"]]
    errors: Counter[str] = Counter()
    for report in reports:
        errors.update(report["errors"])
    return {
        "processes": processes,
        "queue": queue,
        "calls": len(waits) + sum(errors.values()),
        "acknowledged": len(waits),
        "stored": stored,
        "errors": sum(errors.values()),
        "error_messages": dict(errors),
        "p50_ms": common.percentile(waits, 50) * 1000,
        "p99_ms": common.percentile(waits, 99) * 1000,
        "max_ms": max(waits) * 1000 if waits else None,
        "load_before": load_before,
        "load_after": load_after,
        "ok": not errors and stored == len(waits),
    }


def render(result: dict[str, Any]) -> str:
    headers = [
        "processes",
        "queue",
        "calls",
        "errors",
        "stored",
        "p50 ms",
        "p99 ms",
        "max ms",
        "load avg (1 min)",
    ]
    rows = [
        [
            case["processes"],
            "lock file" if case["queue"] else "busy handler only",
            case["calls"],
            case["errors"],
            case["stored"],
            common.fmt(case["p50_ms"], 1),
            common.fmt(case["p99_ms"], 1),
            common.fmt(case["max_ms"], 1),
            f"{case['load_before'][0]:.2f} → {case['load_after'][0]:.2f}",
        ]
        for case in result["cases"]
    ]
    lines = [common.render_machine(result["machine"]), "", common.format_table(headers, rows)]
    for case in result["cases"]:
        for message, count in case["error_messages"].items():
            lines.append(f"  {case['processes']} processes: {count} × {message}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, help="per case")
    parser.add_argument("--processes", default=",".join(map(str, DEFAULT_PROCESSES)))
    parser.add_argument(
        "--no-queue", action="store_true", help="without the lock file (SQLite's busy handler only)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"benchmark": "sqlite_writers", "machine": common.machine_info(), "cases": []}
    for processes in (int(p) for p in args.processes.split(",") if p.strip()):
        common.log(f"sqlite writers: {processes} processes, {args.seconds:g} s…")
        result["cases"].append(run_case(processes, args.seconds, queue=not args.no_queue))
    result["ok"] = all(case["ok"] for case in result["cases"])
    common.emit(result, as_json=args.json, render=render)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
