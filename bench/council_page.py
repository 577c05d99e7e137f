"""Council page, Pulse and Triage steps, at 100k signals: AppTest run time cold and warm beside an empty page
measured in the same run, as ratios.

The demo database comes from bench/friction_log_page.py's cache (`python -m cxos demo --signals N --seed S`,
kept under bench/out/). Each measurement runs in a fresh process so st.cache_data starts empty:

* empty page: a script that only calls st.title; cold = first run, warm = median of the next runs;
* council step N (app.py switched to pages/Council.py?step=N, as "Bench"): cold = the first AppTest.run()
  in a fresh process (imports, the store's Alembic upgrade and every query of the step); warm = median of the
  next runs (served by st.cache_data); after_write = median of runs right after a real write (one signal logged, bench.common.log_one_signal) (what the
  screen pays after any attendee's write).

    python bench/council_page.py [--sizes 100000] [--seed 7] [--runs 5] [--json]
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

DEFAULT_SIZES = (100_000,)
DEFAULT_SEED = 7
DEFAULT_RUNS = 5
PAGE = pages.COUNCIL.path
STEPS = {1: "Pulse", 2: "Triage"}
RUN_TIMEOUT_S = 900


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One page (or the empty script) in a fresh process: cold, warm and after-write run times."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(spec["script"], default_timeout=RUN_TIMEOUT_S)
    if spec.get("step"):
        at.session_state["cxos_display_name"] = "Bench"
        at.switch_page(PAGE)
        at.query_params["step"] = str(spec["step"])

    cold = common.timed_apptest_run(at)
    warm = [common.timed_apptest_run(at) for _ in range(spec["runs"])]
    out = {"cold_s": cold, "warm_s": common.median(warm), "warm_runs_s": warm}
    if spec.get("step"):
        after_write = [common.timed_apptest_run(at, after_write=True) for _ in range(spec["runs"])]
        out |= {
            "after_write_s": common.median(after_write),
            "after_write_runs_s": after_write,
            "header": next((m.value for m in at.markdown if m.value.startswith("### Step")), None),
        }
    return out


def run(*, sizes: tuple[int, ...], seed: int, runs: int) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "council_page", "seed": seed, "runs": runs, "sizes": []}
    with tempfile.TemporaryDirectory(prefix="cxos_bench_") as directory:
        empty_script = Path(directory) / "empty_page.py"
        empty_script.write_text(EMPTY_PAGE, encoding="utf-8")
        for size in sizes:
            database = demo_database(size, seed)
            common.log(f"council: {size:,} signals — empty page…")
            empty = common.run_worker("bench.council_page", {"script": str(empty_script), "runs": runs}, None)
            steps = {}
            for step, name in STEPS.items():
                common.log(f"council: {size:,} signals — step {step} ({name})…")
                steps[name] = common.run_worker(
                    "bench.council_page",
                    {"script": str(common.REPO_ROOT / "app.py"), "step": step, "runs": runs},
                    database["path"],
                )
            result["sizes"].append({"size": size, "database": database, "empty": empty, "steps": steps})
    return result


def render(result: dict[str, Any]) -> str:
    headers = [
        "signals",
        "step",
        "cold s",
        "warm s",
        "after write s",
        "empty cold s",
        "empty warm s",
        "cold/empty cold",
        "warm/empty warm",
        "after write/empty warm",
    ]
    rows = []
    for entry in result["sizes"]:
        empty = entry["empty"]
        for name, step in entry["steps"].items():
            rows.append(
                [
                    f"{entry['size']:,}",
                    name,
                    common.fmt(step["cold_s"]),
                    common.fmt(step["warm_s"]),
                    common.fmt(step["after_write_s"]),
                    common.fmt(empty["cold_s"]),
                    common.fmt(empty["warm_s"]),
                    common.fmt_ratio(common.ratio(step["cold_s"], empty["cold_s"])),
                    common.fmt_ratio(common.ratio(step["warm_s"], empty["warm_s"])),
                    common.fmt_ratio(common.ratio(step["after_write_s"], empty["warm_s"])),
                ]
            )
    return common.format_table(
        headers,
        rows,
        title=(
            f"Council page (AppTest, SQLite demo seed {result['seed']}; warm/after_write = median of {result['runs']} runs):"
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return common.worker_main(args.worker, worker)
    sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    result = run(sizes=sizes, seed=args.seed, runs=args.runs)
    result["machine"] = common.machine_info()
    if not args.json:
        print(common.render_machine(result["machine"]))
    common.emit(result, as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
