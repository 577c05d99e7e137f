"""Heatmaps page at 10k, 100k and 1M signals: AppTest run time cold and warm beside the raw SQL GROUP BY it
needs (same run, as a ratio) and the size of the chart payload sent to the browser.

Targets: warm at 1M within 3x of warm at 10k; payload under 1 MB at every size.

Uses the demo databases that bench/friction_log_page.py builds and caches under bench/out/. Per size and
per heatmap (stage x component, stage x week, touchpoint x week; 90-day window, weighted by count):
cold = the first AppTest run in a fresh process; warm = median of 5 more (served by st.cache_data);
after_write = median of 5 runs right after a real write (one signal logged, bench.common.log_one_signal); raw SQL = cxos.journey.friction.friction_cells,
median of 5; payload = the serialised chart element (spec + data) the page sends.

    python bench/heatmaps_page.py [--sizes 10000,100000,1000000] [--json]
"""

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.friction_log_page import DEFAULT_SEED, DEFAULT_SIZES, demo_database  # noqa: E402
from components.common import pages  # noqa: E402

common.ensure_repo_on_path()

VIEWS = ("stage_component", "stage_week", "touchpoint_week")
DAYS = 90
RUNS = 5
TARGET_RATIO, PAYLOAD_LIMIT = 3.0, 1_000_000


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One view in a fresh process, so the first run is cold."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(common.REPO_ROOT / "app.py"), default_timeout=900)
    at.session_state["cxos_display_name"] = "Bench"
    at.switch_page(pages.HEATMAPS.path)
    at.query_params.update({"view": spec["view"], "days": str(DAYS), "weight": "count"})

    cold = common.timed_apptest_run(at)
    warm = common.median([common.timed_apptest_run(at) for _ in range(RUNS)])
    after_write = common.median([common.timed_apptest_run(at, after_write=True) for _ in range(RUNS)])
    charts = at.get("vega_lite_chart")
    payload = sum(len(chart.proto.SerializeToString()) for chart in charts)
    return {
        "cold": cold,
        "warm": warm,
        "after_write": after_write,
        "payload_bytes": payload,
        "charts": len(charts),
    }


def raw_sql(database_path: str, view: str) -> float:
    from cxos.clock import utcnow
    from cxos.journey.friction import friction_cells, window_ending
    from cxos.store.store import Store

    store = Store(f"sqlite:///{database_path}")
    by_week = view != "stage_component"
    window = window_ending(utcnow().replace(second=0), DAYS, whole_weeks=by_week)
    times = []
    for _ in range(RUNS):
        with store.read() as session:
            began = time.perf_counter()
            friction_cells(session, window, by_week=by_week)
            times.append(time.perf_counter() - began)
    store.dispose()
    return common.median(times)


def run(sizes: tuple[int, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {"machine": common.machine_info(), "rows": []}
    for size in sizes:
        database = demo_database(size, DEFAULT_SEED)
        for view in VIEWS:
            common.log(f"heatmaps: {size:,} signals, {view}…")
            page = common.run_worker("bench.heatmaps_page", {"view": view}, database["path"])
            result["rows"].append(
                {"size": size, "view": view, **page, "sql_s": raw_sql(database["path"], view)}
            )
    by = {(r["size"], r["view"]): r for r in result["rows"]}
    smallest, largest = min(sizes), max(sizes)
    result["scaling"] = {
        view: common.ratio(by[(largest, view)]["warm"], by[(smallest, view)]["warm"])
        for view in VIEWS
        if (largest, view) in by and (smallest, view) in by
    }
    result["max_payload_bytes"] = max(r["payload_bytes"] for r in result["rows"])
    return result


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            f"{r['size']:,}",
            r["view"],
            common.fmt(r["cold"]),
            common.fmt(r["warm"]),
            common.fmt(r["after_write"]),
            common.fmt(r["sql_s"] * 1000, 1),
            common.fmt_ratio(common.ratio(r["after_write"], r["sql_s"])),
            f"{r['payload_bytes'] / 1024:,.1f}",
        ]
        for r in result["rows"]
    ]
    lines = [
        common.render_machine(result["machine"]),
        common.format_table(
            [
                "signals",
                "heatmap",
                "cold s",
                "warm s",
                "after write s",
                "raw SQL ms",
                "after write/SQL",
                "payload KiB",
            ],
            rows,
            title=f"Heatmaps page (AppTest; warm/after_write = median of {RUNS}; raw SQL = friction_cells GROUP BY, "
            f"median of {RUNS}; {DAYS}-day window)",
        ),
    ]
    for view, scale in result["scaling"].items():
        verdict = "PASS" if scale <= TARGET_RATIO else "MISS"
        lines.append(
            f"warm(largest)/warm(smallest) for {view} = {common.fmt_ratio(scale)} "
            f"(target <= {TARGET_RATIO:g}x): {verdict}"
        )
    payload = result["max_payload_bytes"]
    lines.append(
        f"largest chart payload = {payload / 1024:,.1f} KiB (target < 1 MB): "
        f"{'PASS' if payload < PAYLOAD_LIMIT else 'MISS'}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return common.worker_main(args.worker, worker)
    result = run(tuple(int(s) for s in args.sizes.split(",")))
    common.emit(result, as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
