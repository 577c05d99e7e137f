"""Import benchmark: a 100k-row Zendesk-like CSV into a fresh store with the default journey and rules.

Prints the wall and CPU time of `cxos.importers.batch.import_file` (reading, validation, dedupe, routing and the
batched writes; CPU of both processes: a large file's rows are prepared in a second one), rows per second and peak memory (the process's peak RSS before and after, and with
--tracemalloc the Python heap peak in a second, slower run). The target is ≤ 10 s on 2 cores.

    python bench/import_signals.py [--rows 100000] [--backends sqlite,postgres] [--batch-size 10000] [--tracemalloc]
        [--profile] [--one-process] [--json]
"""

import argparse
import cProfile
import io
import pstats
import random
import resource
import sys
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

common.ensure_repo_on_path()

from sqlalchemy import event  # noqa: E402
from sqlmodel import func, select  # noqa: E402

from cxos.identity import Actor  # noqa: E402
from cxos.importers import pipeline  # noqa: E402
from cxos.importers.batch import BATCH, import_file  # noqa: E402
from cxos.importers.profiles import BUILT_IN  # noqa: E402
from cxos.journey.map import load_journey_template, touchpoint_options  # noqa: E402
from cxos.models import Event, Signal  # noqa: E402
from cxos.routing.rule_files import load_default_rules  # noqa: E402
from cxos.store.store import Store  # noqa: E402
from cxos.vocabulary import Role  # noqa: E402

ACTOR = Actor("bench", Role.ADMIN)
SUBJECTS = [
    "SSO login loops back to the sign-in page",
    "SCIM provisioning did not create {n} users",
    "Invoice shows the wrong VAT number",
    "Webhook retries create duplicate orders",
    "Export to CSV times out",
    "Can't find how to reset two-factor",
    "Search returns nothing for '{w}'",
    "Welcome email link expired",
    "Billing page charges twice after upgrade",
    "API key rotation breaks the integration",
    "Dashboard is slow for workspaces with {n} projects",
    "Onboarding checklist stuck at step {n}",
]
WORDS = (
    "the customer says it happened again after the last release and the workaround from the help "
    "center did not work they need this fixed before renewal next month please advise"
).split()
PRIORITIES = ["low", "normal", "normal", "normal", "high", "urgent", ""]
HEADER = "Id,Subject,Description,Requester,Organization,Created at,Tags,Priority,Via\n"


def write_export(path: Path, rows: int, seed: int = 11) -> int:
    """A Zendesk-like export: quoted multi-line bodies, ~1% re-exported tickets, ~0.5% empty subjects."""
    rng = random.Random(seed)
    start = datetime(2026, 7, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            ticket = 100_000 + (n if rng.random() > 0.01 else rng.randrange(max(n, 1)))
            subject = (
                ""
                if rng.random() < 0.005
                else rng.choice(SUBJECTS).format(n=rng.randint(2, 500), w=rng.choice(WORDS))
            )
            body = " ".join(rng.choices(WORDS, k=rng.randint(15, 90)))
            body = body.replace(" please", '.\n"Please') + '"'
            created = start + timedelta(seconds=rng.randrange(90 * 86400))
            out.write(
                f'{ticket},{subject},"{body.replace(chr(34), chr(34) * 2)}",user{n % 5000}@example.com,'
                f"Account {n % 800},{created:%Y-%m-%d %H:%M:%S} +0000,tag{n % 7},"
                f"{rng.choice(PRIORITIES)},Web form\n"
            )
    return path.stat().st_size


def run_case(
    backend: str, url: str, export: Path, *, traced: bool, profiled: bool, batch_size: int = BATCH
) -> dict[str, Any]:
    store = Store.open(url, create=True)
    try:
        load_journey_template(store, actor=ACTOR)
        rules = load_default_rules(store, actor=ACTOR)
        with store.read() as session:
            touchpoint_id = touchpoint_options(session)[0].id
        profile = replace(BUILT_IN["Zendesk tickets"], default_touchpoint_id=touchpoint_id)
        data = export.read_bytes()
        rss_before = _peak_rss_mib()
        profiler = cProfile.Profile() if profiled else None
        statements = _StatementLog(store) if profiled else None
        if traced:
            tracemalloc.start()
        started, cpu_started, child_started = time.perf_counter(), time.process_time(), _children_cpu()
        if profiler:
            profiler.enable()
        report = import_file(
            store, data=data, filename=export.name, profile=profile, actor=ACTOR, batch_size=batch_size
        )
        if profiler:
            profiler.disable()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        child_seconds = _children_cpu() - child_started  # the process that prepares a large file's rows
        if statements:
            statements.stop()
        heap_peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
        if traced:
            tracemalloc.stop()
        with store.read() as session:
            stored = session.exec(select(func.count()).select_from(Signal)).one()
            events = session.exec(
                select(func.count()).select_from(Event).where(Event.entity == "signal")
            ).one()
        result = {
            "backend": backend,
            "rows": report.rows_read,
            "imported": report.imported,
            "routed": report.routed,
            "duplicates": report.count("duplicate"),
            "errors": report.count("error"),
            "balanced": report.balanced,
            "stored": stored,
            "events": events,
            "rules": rules,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds + child_seconds,
            "child_cpu_seconds": child_seconds,
            "rows_per_s": report.rows_read / seconds,
            "peak_rss_before_mib": rss_before,
            "peak_rss_after_mib": _peak_rss_mib(),
            "heap_peak_mib": heap_peak,
            "traced": traced,
        }
        if profiler:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
            result["profile"] = f"--- {backend} ---\n" + text.getvalue()
        if statements:
            result["statements"] = statements.summary()
        return result
    finally:
        store.dispose()


class _StatementLog:
    """With --profile: how many SQL statements the import ran, by kind, and the wall time spent in each kind."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self.kinds: dict[str, list[float]] = {}
        self._started: list[float] = []
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seconds = time.perf_counter() - self._started.pop()
        words = statement.split()
        kind = " ".join(words[:3])[:60]
        many = isinstance(params, list) and len(params) > 1
        entry = self.kinds.setdefault(kind + (" (executemany)" if many else ""), [0, 0.0])
        entry[0] += 1
        entry[1] += seconds

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def summary(self) -> str:
        lines = [
            f"{int(n):>8} {s:8.2f} s  {kind}"
            for kind, (n, s) in sorted(self.kinds.items(), key=lambda i: -i[1][1])
        ]
        return (
            "statements (count, seconds, kind; COPY is not a cursor execute and is not listed):\n"
            + "\n".join(lines[:25])
        )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            c["backend"] + (" (tracemalloc)" if c["traced"] else ""),
            c["rows"],
            c["imported"],
            c["routed"],
            c["duplicates"],
            c["errors"],
            c["seconds"],
            c["cpu_seconds"],
            c["child_cpu_seconds"],
            round(c["rows_per_s"]),
            c["peak_rss_before_mib"],
            c["peak_rss_after_mib"],
            c["heap_peak_mib"],
        ]
        for c in result["cases"]
    ]
    table = common.format_table(
        [
            "backend",
            "rows",
            "imported",
            "routed",
            "dups",
            "errors",
            "seconds",
            "CPU s",
            "of it preparing process",
            "rows/s",
            "peak RSS before MiB",
            "peak RSS after MiB",
            "heap peak MiB",
        ],
        rows,
        title=f"Import of {result['rows']:,} rows ({result['file_mib']:.1f} MiB CSV), "
        f"batches of {result['batch_size']:,}",
    )
    notes = [
        f"{c['backend']}: {c['seconds']:.1f} s against the 10 s target "
        + ("(met)" if c["seconds"] <= 10 else f"(missed by {c['seconds'] - 10:.1f} s)")
        for c in result["cases"]
        if not c["traced"]
    ]
    profiles = [c[key] for c in result["cases"] for key in ("profile", "statements") if c.get(key)]
    return "\n".join([table, *notes, *profiles, common.render_machine(result["machine"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--batch-size", type=int, default=BATCH, help="rows per transaction")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also a second run under tracemalloc (slower)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print the top of a cProfile of each run, and its SQL statements by kind",
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="prepare every row in the importing process (as before the pipeline; what --profile sees whole)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import tempfile

    if args.one_process:
        pipeline.FORK_AFTER = 10**12

    cases = []
    with tempfile.TemporaryDirectory(prefix="cxos_import_") as directory:
        export = Path(directory) / "zendesk_export.csv"
        size = write_export(export, args.rows)
        common.log(f"wrote {args.rows:,} rows ({size / 2**20:.1f} MiB)")
        for backend in args.backends.split(","):
            for traced in [False, True] if args.tracemalloc else [False]:
                if backend in ("postgres", "postgresql"):  # either spelling (a typo ran SQLite twice)
                    why = common.postgres_unreachable(common.postgres_admin_url())
                    if why:
                        common.log(f"postgres skipped: {why}")
                        continue
                    with common.temp_postgres_database(common.postgres_admin_url()) as url:
                        cases.append(
                            run_case(
                                backend,
                                url,
                                export,
                                traced=traced,
                                profiled=args.profile and not traced,
                                batch_size=args.batch_size,
                            )
                        )
                else:
                    with common.temp_sqlite_url() as url:
                        cases.append(
                            run_case(
                                backend,
                                url,
                                export,
                                traced=traced,
                                profiled=args.profile and not traced,
                                batch_size=args.batch_size,
                            )
                        )
                common.log(f"{backend}{' traced' if traced else ''}: {cases[-1]['seconds']:.1f} s")
    result = {
        "rows": args.rows,
        "file_mib": size / 2**20,
        "batch_size": args.batch_size,
        "cases": cases,
        "machine": common.machine_info(),
    }
    common.emit(result, as_json=args.json, render=render)


if __name__ == "__main__":
    main()
