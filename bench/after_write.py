"""Every page after a real write: the server's CPU and wall seconds, beside an empty page and the page's raw SQL.

What a person waits for is the run right after someone logged a signal, not a cache hit. For each size
(`--sizes`, demo databases cached by bench/friction_log_page.py) and each page, a fresh process serves the page
with AppTest (the server side of a visit) as "Bench", then `--runs` times: logs one signal through
`create_signal` on the app's own store handle and `refresh_after_write()` (what `run_write` does after a
form), and times the next `at.run()`:

* cpu s: CPU seconds of that process during the run (Streamlit's script thread and everything it started);
* wall s: wall seconds of the run;
* empty: an empty page served the same way in a process of its own (its cpu and wall after the same write);
* SQL cpu s / SQL wall s: the cxos queries the page's loaders make, run directly on a read session after the
  page's run (SQLite runs in this process, so its work is in the CPU seconds);
* RSS / peak MiB: the server process's resident memory after the page's last run, and its peak (VmHWM);
* load: the 1-minute load average when the page's runs ended (the machine is shared: read figures with it).

With more than one size, each page's CPU and wall seconds at the largest size are also given as a multiple of
the smallest (the target: at 1M ≤ 3× the same at 10k, and ≤ 2 s wall on an idle 2-core machine).

Cold first visits and warm cache hits are not reported: the first is a process start, the second runs no SQL.

    python bench/after_write.py [--sizes 10000,100000] [--pages home,kpis] [--runs 3] [--seed 11] [--json]
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.friction_log_page import EMPTY_PAGE, demo_database  # noqa: E402
from components.common import pages  # noqa: E402

common.ensure_repo_on_path()

DEFAULT_SIZES, DEFAULT_SEED, DEFAULT_RUNS = (10_000, 100_000), 11, 3
RUN_TIMEOUT_S = 900
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "home": (pages.HOME.path, {}),
    "friction log": (pages.FRICTION_LOG.path, {}),
    "friction log search": (pages.FRICTION_LOG.path, {"q": "zzqx"}),
    "heatmaps": (pages.HEATMAPS.path, {}),
    "routing rules": (pages.ROUTING_RULES.path, {}),
    "failure modes": (pages.FAILURE_MODES.path, {}),
    "handoffs": (pages.HANDOFFS.path, {}),
    "fixes & loops": (pages.FIXES_AND_LOOPS.path, {}),
    "kpis": (pages.KPIS.path, {}),
    "fit score": (pages.FIT_SCORE.path, {}),
    "council pulse": (pages.COUNCIL.path, {"step": "1"}),
    "council triage": (pages.COUNCIL.path, {"step": "2"}),
}


def raw_sql(name: str) -> Callable[[Any], object] | None:
    """The page's queries, called as its loaders call them (None when not listed here)."""
    from cxos.clock import today, utcnow
    from cxos.council import pulse, triage
    from cxos.failure_modes.figures import failure_mode_figures
    from cxos.journey import friction
    from cxos.journey.map import touchpoint_options
    from cxos.kpis import figures as kpis
    from cxos.kpis import fit_score, headline
    from cxos.routing import handoffs
    from cxos.signals import queries

    now, day = utcnow(), today()

    def home(s: Any) -> None:
        for start, end in (
            (now - timedelta(days=7), now),
            (now - timedelta(days=14), now - timedelta(days=7)),
        ):
            queries.counts_by(s, queries.Signal.touchpoint_id, start, end)
            queries.counts_by(s, queries.Signal.source, start, end)
        queries.weekly_counts(s, weeks=12, now=now)
        headline.new_signals(s, day), headline.open_signals(s), headline.in_triage(s)
        headline.signals_fixed(s, day), headline.fixes_shipped(s, day), headline.routing(s, day)
        queries.triage_queue(s, limit=8), queries.newest_signals(s, limit=8)

    def log(text: str) -> Callable[[Any], None]:
        def run(s: Any) -> None:
            f = queries.SignalFilter(text=text)
            queries.count_signals(s, f, cap=queries.COUNT_CAP if text else None)
            queries.page_of_signals(s, f, limit=50)

        return run

    def kpi(s: Any) -> None:
        f = kpis.KpiFilter(headline.ROUTING.start(day), now)
        kpis.signals_per_week(s, f), kpis.loop_closure(s, f), kpis.notice_counts(s, f)
        kpis.recurrence_summary(s, f, now=now), kpis.time_to_route_hours(s, f), kpis.time_to_fix_days(s, f)
        headline.routing(s, day), fit(s)

    def fit(s: Any) -> None:
        fit_score.fit_scores(s, touchpoint_options(s, include_archived=True), now)

    def handoff(s: Any) -> None:
        handoffs.bounced_signals(s, at_least=1, limit=50), handoffs.count_bounced(s)
        handoffs.stale_signals(s, now=now, limit=50), handoffs.count_stale(s, now=now)
        handoffs.team_backlogs(s, now=now)

    def heat(s: Any) -> None:
        window = friction.window_ending(now, 90)
        friction.friction_cells(s, window), friction.friction_cells(s, window.previous())

    def rules(s: Any) -> None:
        from sqlalchemy import func, select

        from cxos.routing.router import unrouted_condition
        from cxos.routing.rule_engine import load_rule_set
        from cxos.routing.rules import list_rules

        list_rules(s), load_rule_set(s), headline.routing(s, day)
        s.exec(select(func.count()).select_from(queries.Signal).where(unrouted_condition())).one()

    def fixes(s: Any) -> None:
        from datetime import UTC, datetime

        from cxos.fixes.lifecycle import fixes_in_flight, fixes_shipped_since

        fixes_shipped_since(s, since=datetime(1970, 1, 1, tzinfo=UTC)), fixes_in_flight(s, now=now)

    def council_pulse(s: Any) -> None:
        pulse.pulse(s, since=now - timedelta(days=7), now=now)

    def council_triage(s: Any) -> None:
        since = now - timedelta(days=7)
        triage.waiting_signals(s, since=since), triage.count_waiting(s, since=since)

    return {
        "home": home,
        "friction log": log(""),
        "friction log search": log("zzqx"),
        "heatmaps": heat,
        "routing rules": rules,
        "fixes & loops": fixes,
        "failure modes": lambda s: failure_mode_figures(s, now=now),
        "handoffs": handoff,
        "kpis": kpi,
        "fit score": fit,
        "council pulse": council_pulse,
        "council triage": council_triage,
    }.get(name)


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(spec["script"], default_timeout=RUN_TIMEOUT_S)
    if spec.get("page"):
        at.session_state["cxos_display_name"] = "Bench"
        at.switch_page(spec["page"])
        for key, value in spec.get("query", {}).items():
            at.query_params[key] = value
    common.timed_apptest_run(at)  # the first visit: imports, the store opened; not reported
    cpu, wall, sql, sql_cpu = [], [], [], []
    for _ in range(spec["runs"]):
        common.log_one_signal()
        began_cpu, began = time.process_time(), time.perf_counter()
        at.run()
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        if at.exception:
            raise RuntimeError(f"the page raised: {[e.message for e in at.exception]}")
        queries = raw_sql(spec["name"]) if spec.get("page") else None
        if queries is not None:
            from components.common.data import get_store

            with get_store().read() as session:
                began_cpu, began = time.process_time(), time.perf_counter()
                queries(session)
                sql.append(time.perf_counter() - began)
                sql_cpu.append(time.process_time() - began_cpu)
    return {
        "cpu_s": common.median(cpu),
        "wall_s": common.median(wall),
        "raw_sql_s": common.median(sql) if sql else None,
        "raw_sql_cpu_s": common.median(sql_cpu) if sql_cpu else None,
        "cpu_runs": cpu,
        "wall_runs": wall,
        "load": os.getloadavg()[0],
        **memory_mib(),
    }


def memory_mib() -> dict[str, float]:
    """This process's resident memory now and at its peak (Linux /proc; empty elsewhere)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    fields = {line.split(":")[0]: line.split()[1] for line in status if line.startswith(("VmRSS", "VmHWM"))}
    return {"rss_mib": int(fields["VmRSS"]) / 1024, "peak_rss_mib": int(fields["VmHWM"]) / 1024}


def run(sizes: tuple[int, ...], names: list[str], seed: int, runs: int) -> dict[str, Any]:
    result: dict[str, Any] = {"machine": common.machine_info(), "runs": runs, "seed": seed, "rows": []}
    with tempfile.TemporaryDirectory(prefix="cxos_bench_") as directory:
        empty_script = Path(directory) / "empty_page.py"
        empty_script.write_text(EMPTY_PAGE, encoding="utf-8")
        for size in sizes:
            database = demo_database(size, seed)
            common.log(f"after write: {size:,} signals — empty page…")
            empty = common.run_worker(
                "bench.after_write",
                {"script": str(empty_script), "name": "empty", "runs": runs},
                database["path"],
            )
            for name in names:
                path, query = PAGES[name]
                common.log(f"after write: {size:,} signals — {name}…")
                page = common.run_worker(
                    "bench.after_write",
                    {
                        "script": str(common.REPO_ROOT / "app.py"),
                        "page": path,
                        "query": query,
                        "name": name,
                        "runs": runs,
                    },
                    database["path"],
                )
                result["rows"].append({"size": size, "page": name, "empty": empty, **page})
    return result


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            f"{r['size']:,}",
            r["page"],
            common.fmt(r["cpu_s"]),
            common.fmt(r["wall_s"]),
            common.fmt(r["empty"]["cpu_s"]),
            common.fmt(r["empty"]["wall_s"]),
            common.fmt(r.get("raw_sql_cpu_s")),
            common.fmt(r["raw_sql_s"]),
            common.fmt(r.get("rss_mib"), 0),
            common.fmt(r.get("peak_rss_mib"), 0),
            common.fmt(r["load"], 2),
        ]
        for r in result["rows"]
    ]
    return "\n".join(
        [
            common.render_machine(result["machine"]),
            common.format_table(
                [
                    "signals",
                    "page",
                    "cpu s",
                    "wall s",
                    "empty cpu s",
                    "empty wall s",
                    "SQL cpu s",
                    "SQL wall s",
                    "RSS MiB",
                    "peak MiB",
                    "load 1m",
                ],
                rows,
                title=f"Each page right after one logged signal (AppTest; median of {result['runs']} write + run)",
            ),
            *growth(result["rows"]),
        ]
    )


def growth(rows: list[dict[str, Any]]) -> list[str]:
    """Each page at the largest size against the smallest: the ×3 and 2 s wall targets."""
    sizes = sorted({r["size"] for r in rows})
    if len(sizes) < 2:
        return []
    small, large = sizes[0], sizes[-1]
    by = {(r["size"], r["page"]): r for r in rows}
    table = []
    for (size, page), r in by.items():
        base = by.get((small, page))
        if size != large or base is None:
            continue
        cpu, wall = common.ratio(r["cpu_s"], base["cpu_s"]), common.ratio(r["wall_s"], base["wall_s"])
        met = cpu <= 3 and wall <= 3 and r["wall_s"] <= 2
        table.append([page, common.fmt_ratio(cpu), common.fmt_ratio(wall), common.fmt(r["wall_s"]), met])
    return [
        "",
        common.format_table(
            ["page", "cpu ×", "wall ×", f"wall s at {large:,}", "≤ 3× and ≤ 2 s"],
            table,
            title=f"{large:,} against {small:,} signals",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated names: " + ", ".join(PAGES))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return common.worker_main(args.worker, worker)
    names = [n.strip() for n in args.pages.split(",") if n.strip()]
    unknown = [n for n in names if n not in PAGES]
    if unknown:
        parser.error(f"unknown pages {unknown}; known: {', '.join(PAGES)}")
    result = run(tuple(int(s) for s in args.sizes.split(",")), names, args.seed, args.runs)
    common.emit(result, as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
