"""KPI page at 100k signals: AppTest run time cold, warm and after a real write beside an empty page in the same run, as ratios.

Uses a demo database built and cached by bench/friction_log_page.py's demo_database(size, seed); the default
seed (11) differs from the other page benchmarks' so the database is built with the current demo, which
includes monthly metrics and the shipped fixes' loop notices. Each page runs in a fresh process, so the first
run is cold (imports, migration check, every KPI query); warm = median of the next runs (st.cache_data);
after_write = median of runs right after a real write (one signal logged, bench.common.log_one_signal) (what the next manager pays after any write).
The KPI page shows the default view: the last 90 days, all teams.

    python bench/kpi_page.py [--sizes 100000] [--seed 11] [--runs 5] [--json]
"""

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.friction_log_page import EMPTY_PAGE, demo_database  # noqa: E402
from components.common import pages  # noqa: E402

common.ensure_repo_on_path()

PAGE = pages.KPIS.path
DEFAULT_SIZES, DEFAULT_SEED, DEFAULT_RUNS = (100_000,), 11, 5


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(spec["script"], default_timeout=900)
    if spec["page"]:
        at.session_state["cxos_display_name"] = "Bench"
        at.switch_page(spec["page"])

    cold = common.timed_apptest_run(at)
    warm = [common.timed_apptest_run(at) for _ in range(spec["runs"])]
    after_write = [common.timed_apptest_run(at, after_write=True) for _ in range(spec["runs"])]
    return {
        "cold": cold,
        "warm": common.median(warm),
        "after_write": common.median(after_write),
        "warm_runs": warm,
        "after_write_runs": after_write,
    }


def run(sizes: tuple[int, ...], seed: int, runs: int) -> dict[str, Any]:
    result: dict[str, Any] = {"machine": common.machine_info(), "runs": runs, "rows": []}
    with tempfile.TemporaryDirectory(prefix="cxos_bench_") as directory:
        empty_script = Path(directory) / "empty_page.py"
        empty_script.write_text(EMPTY_PAGE, encoding="utf-8")
        for size in sizes:
            database = demo_database(size, seed)
            common.log(f"kpi page: {size:,} signals — empty page…")
            empty = common.run_worker(
                "bench.kpi_page",
                {"script": str(empty_script), "page": None, "runs": runs},
                database["path"],  # its after-write runs write there too
            )
            common.log(f"kpi page: {size:,} signals — KPI page…")
            page = common.run_worker(
                "bench.kpi_page",
                {"script": str(common.REPO_ROOT / "app.py"), "page": PAGE, "runs": runs},
                database["path"],
            )
            result["rows"].append(
                {
                    "size": size,
                    "seed": seed,
                    "empty": empty,
                    "page": page,
                    "ratios": {
                        kind: common.ratio(page[kind], empty[kind])
                        for kind in ("cold", "warm", "after_write")
                    },
                }
            )
    return result


def render(result: dict[str, Any]) -> str:
    rows = []
    for r in result["rows"]:
        for kind in ("cold", "warm", "after_write"):
            rows.append(
                [
                    f"{r['size']:,}",
                    kind,
                    common.fmt(r["page"][kind]),
                    common.fmt(r["empty"][kind]),
                    common.fmt_ratio(r["ratios"][kind]),
                ]
            )
    return "\n".join(
        [
            common.render_machine(result["machine"]),
            common.format_table(
                ["signals", "run", "KPI page s", "empty page s", "KPI / empty"],
                rows,
                title=f"KPI page (AppTest, last 90 days, all teams; warm/after_write = median of {result['runs']})",
            ),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return common.worker_main(args.worker, worker)
    result = run(tuple(int(s) for s in args.sizes.split(",")), args.seed, args.runs)
    common.emit(result, as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
