"""Friction log page at 10k, 100k and 1M signals: AppTest run time cold and warm, next to an empty page's
run time and the time of the raw SQL the page needs, all measured in the same run, as ratios.

Target: warm at 1M within 3x of warm at 10k (the page must not read every row).

For each size a SQLite database is built once with `python -m cxos demo --signals N --seed S` and cached
under bench/out/ (gitignored). Then, per size:

* empty page: a script that only calls st.title, cold (first run in a fresh process) and warm (median);
* friction log page (app.py, switched to pages/Friction_log.py, as "Bench"): cold = the first
  `AppTest.run()` in a fresh process (module imports, the store's Alembic upgrade and the page's SQL
  included, as the app does it); warm = median of the next runs in the same AppTest, which are served
  by st.cache_data; uncached = median of runs right after a real write (one signal logged; what the next viewer
  pays after any write in the process, or once the 30 s TTL has passed);
* the same for two filtered views (status = new, and a text search for "SSO", which scans);
* raw SQL: cxos.signals.queries.count_signals + page_of_signals (limit 50, offset 0) through a Store read
  session, median of the same number of runs.

    python bench/friction_log_page.py [--sizes 10000,100000,1000000] [--seed 7] [--runs 5] [--json]
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from components.common import pages  # noqa: E402

common.ensure_repo_on_path()

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_SEED = 7
DEFAULT_RUNS = 5
TARGET_RATIO = 3.0
PAGE = pages.FRICTION_LOG.path
PAGE_SIZE = 50  # pages/Friction_log.py PAGE_SIZE
RUN_TIMEOUT_S = 900  # one AppTest.run(); a text search over 1M rows without the cache must still finish
DISPLAY_NAME = "Bench"
EMPTY_PAGE = 'import streamlit as st\n\nst.title("Empty page")\n'
# (name, filter fields): the page's default view first, then the filtered views
VIEWS: list[tuple[str, dict[str, Any]]] = [
    ("log, no filter", {}),
    ("status = new", {"statuses": ["new"]}),
    ("search 'SSO'", {"text": "SSO"}),
]
# "**10,000** signals match" or "**10,000 signals** match": the first bold number of the summary line
MATCHES = re.compile(r"\*\*([\d,]+)[^*]*\*\*[^·]*\bmatch")


# ---------------------------------------------------------------- demo databases, cached by size and seed


def demo_database(size: int, seed: int, *, rebuild: bool = False) -> dict[str, Any]:
    """The path of a demo database with `size` signals, built once; with how long building it took."""
    common.OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = common.OUT_DIR / f"demo_{size}_seed{seed}.db"
    marker = path.with_suffix(".json")
    if marker.exists() and path.exists() and not rebuild:
        built = json.loads(marker.read_text(encoding="utf-8"))
        return {**built, "path": str(path), "cached": True, "db_mib": _mib(path)}
    for stale in (path, marker, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    common.log(f"friction log: generating the {size:,}-signal demo database (seed {seed})…")
    env = {**os.environ, "CXOS_DATABASE_URL": f"sqlite:///{path}"}
    began = time.perf_counter()
    done = subprocess.run(
        [common.PYTHON, "-m", "cxos", "demo", "--signals", str(size), "--seed", str(seed), "--json"],
        cwd=common.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(
            f"`python -m cxos demo --signals {size}` failed after {seconds:.1f} s "
            f"(exit {done.returncode}):\n{done.stderr[-4000:]}"
        )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    built = {
        "size": size,
        "seed": seed,
        "generation_s": seconds,
        "demo": counts,
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    marker.write_text(json.dumps(built, indent=2), encoding="utf-8")
    common.log(
        f"friction log: generated {counts['signals']:,} signals, {counts['events']:,} events in {seconds:.1f} s"
    )
    return {**built, "path": str(path), "cached": False, "db_mib": _mib(path)}


def _mib(path: Path) -> float:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()) / 1024 / 1024


# ---------------------------------------------------------------- the AppTest worker (a fresh process)


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs in its own process so st.cache_data / st.cache_resource start empty: the first run is cold."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from streamlit.testing.v1 import AppTest

    sql = {"count": 0, "seconds": 0.0}

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        sql["count"] += 1
        sql["seconds"] += time.perf_counter() - conn.info["bench_started"].pop()

    at = AppTest.from_file(spec["script"], default_timeout=RUN_TIMEOUT_S)
    if spec["page"]:
        at.session_state["cxos_display_name"] = DISPLAY_NAME
        at.switch_page(spec["page"])

    def timed_run(clear: bool = False) -> dict[str, Any]:
        if clear:
            common.log_one_signal()  # a real write: the next viewer's run after someone logged friction
        sql.update(count=0, seconds=0.0)
        began = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - began
        if at.exception:
            raise RuntimeError(f"the page raised: {[e.message for e in at.exception]}")
        return {"s": seconds, "sql_statements": sql["count"], "sql_s": sql["seconds"]}

    def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "s": common.median([r["s"] for r in runs]),
            "runs_s": [r["s"] for r in runs],
            "sql_statements": common.median([r["sql_statements"] for r in runs]),
            "sql_s": common.median([r["sql_s"] for r in runs]),
        }

    def matches() -> int | None:
        for md in at.markdown:
            found = MATCHES.search(md.value)
            if found:
                return int(found.group(1).replace(",", ""))
        return None

    out: dict[str, Any] = {"cold": timed_run()}
    runs = spec["runs"]
    if not spec["page"]:
        out["warm"] = summary([timed_run() for _ in range(runs)])
        return out
    out["views"] = []
    for index, (name, fields) in enumerate(spec["views"]):
        view: dict[str, Any] = {"name": name, "fields": fields}
        if index:  # a filtered view: set the widgets as a person would, first run misses the data cache
            from cxos.vocabulary import Status

            at.multiselect(key="f_status").set_value([Status(s) for s in fields.get("statuses", [])])
            at.text_input(key="f_text").set_value(fields.get("text", ""))
            view["first"] = timed_run()
        view["matches"] = matches()
        view["warm"] = summary([timed_run() for _ in range(runs)])
        view["uncached"] = summary([timed_run(clear=True) for _ in range(runs)])
        out["views"].append(view)
    return out


# ---------------------------------------------------------------- raw SQL, in this process


def raw_sql(
    database_path: str, views: list[tuple[str, dict[str, Any]]], runs: int
) -> dict[str, dict[str, Any]]:
    """The page's two queries straight through a Store read session (journey not needed: no stage/component)."""
    from cxos.signals import queries
    from cxos.store.store import Store

    store = Store.open(f"sqlite:///{database_path}")
    try:
        out = {}
        for name, fields in views:
            signal_filter = queries.SignalFilter(
                statuses=tuple(fields.get("statuses", ())), text=fields.get("text", "")
            )
            times, total, count_times = [], None, []
            for _ in range(runs):
                began = time.perf_counter()
                with store.read() as session:
                    total = queries.count_signals(session, signal_filter)
                    counted = time.perf_counter()
                    queries.page_of_signals(session, signal_filter, limit=PAGE_SIZE, offset=0)
                ended = time.perf_counter()
                times.append(ended - began)
                count_times.append(counted - began)
            out[name] = {
                "s": common.median(times),
                "count_s": common.median(count_times),
                "page_s": common.median(times) - common.median(count_times),
                "matches": total,
                "runs_s": times,
            }
        return out
    finally:
        store.dispose()


# ---------------------------------------------------------------- the benchmark


def run(
    *,
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    seed: int = DEFAULT_SEED,
    runs: int = DEFAULT_RUNS,
    rebuild: bool = False,
) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "friction_log_page", "seed": seed, "runs": runs, "sizes": []}
    with tempfile.TemporaryDirectory(prefix="cxos_bench_") as directory:
        empty_script = Path(directory) / "empty_page.py"
        empty_script.write_text(EMPTY_PAGE, encoding="utf-8")
        for size in sizes:
            database = demo_database(size, seed, rebuild=rebuild)
            common.log(f"friction log: {size:,} signals — empty page…")
            empty = common.run_worker(
                "bench.friction_log_page",
                {"script": str(empty_script), "page": None, "views": [], "runs": runs},
                None,
            )
            common.log(f"friction log: {size:,} signals — friction log page (cold, warm, uncached, filters)…")
            page = common.run_worker(
                "bench.friction_log_page",
                {"script": str(common.REPO_ROOT / "app.py"), "page": PAGE, "views": VIEWS, "runs": runs},
                database["path"],
            )
            common.log(f"friction log: {size:,} signals — raw SQL…")
            sql = raw_sql(database["path"], VIEWS, runs)
            result["sizes"].append(
                {"size": size, "database": database, "empty": empty, "page": page, "sql": sql}
            )
    result["scaling"] = _scaling(result["sizes"])
    return result


def _scaling(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    if len(sizes) < 2:
        return {}
    small, large = sizes[0], sizes[-1]

    def default_view(entry: dict[str, Any], kind: str) -> float:
        return entry["page"]["views"][0][kind]["s"]

    warm = common.ratio(default_view(large, "warm"), default_view(small, "warm"))
    return {
        "small": small["size"],
        "large": large["size"],
        "target": TARGET_RATIO,
        "warm_ratio": warm,
        "pass": bool(warm <= TARGET_RATIO) if not math.isnan(warm) else None,
        "uncached_ratio": common.ratio(default_view(large, "uncached"), default_view(small, "uncached")),
        "cold_ratio": common.ratio(large["page"]["cold"]["s"], small["page"]["cold"]["s"]),
        "sql_ratio": common.ratio(large["sql"][VIEWS[0][0]]["s"], small["sql"][VIEWS[0][0]]["s"]),
    }


def _size_label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def render(result: dict[str, Any]) -> str:
    out = []
    gen_rows = []
    for entry in result["sizes"]:
        db = entry["database"]
        gen_rows.append(
            [
                _size_label(entry["size"]),
                db["demo"]["signals"],
                db["demo"]["events"],
                common.fmt(db["generation_s"], 1),
                "cached" if db["cached"] else "now",
                db.get("generated_at", "-"),
                common.fmt(db["db_mib"], 1),
            ]
        )
    out.append(
        common.format_table(
            ["size", "signals", "events", "generation s", "built", "generated at", "db MiB"],
            gen_rows,
            title=f"Demo databases (python -m cxos demo --signals N --seed {result['seed']}; SQLite):",
        )
    )
    out.append("")

    headers = [
        "size",
        "view",
        "matches",
        "cold s",
        "warm s",
        "uncached s",
        "empty cold s",
        "empty warm s",
        "raw SQL ms",
        "warm/empty",
        "warm/SQL",
        "uncached/SQL",
        "SQL/run uncached",
    ]
    rows = []
    for entry in result["sizes"]:
        empty_warm = entry["empty"]["warm"]["s"]
        for index, view in enumerate(entry["page"]["views"]):
            sql = entry["sql"][view["name"]]
            warm, uncached = view["warm"]["s"], view["uncached"]["s"]
            rows.append(
                [
                    _size_label(entry["size"]),
                    view["name"],
                    view["matches"],
                    common.fmt(entry["page"]["cold"]["s"]) if index == 0 else "-",
                    common.fmt(warm),
                    common.fmt(uncached),
                    common.fmt(entry["empty"]["cold"]["s"]) if index == 0 else "-",
                    common.fmt(empty_warm),
                    common.fmt(sql["s"] * 1000, 2),
                    common.fmt_ratio(common.ratio(warm, empty_warm)),
                    common.fmt_ratio(common.ratio(warm, sql["s"])),
                    common.fmt_ratio(common.ratio(uncached, sql["s"])),
                    f"{view['uncached']['sql_statements']:g} in {view['uncached']['sql_s'] * 1000:,.1f} ms",
                ]
            )
    out.append(
        common.format_table(
            headers,
            rows,
            title=(
                f"Friction log page (AppTest; warm/uncached = median of {result['runs']} runs; raw SQL = count_signals + "
                f"page_of_signals, median of {result['runs']}):"
            ),
        )
    )
    for entry in result["sizes"]:
        for view in entry["page"]["views"]:
            if view["matches"] != entry["sql"][view["name"]]["matches"]:
                out.append(
                    f"note: {_size_label(entry['size'])} {view['name']}: the page showed {view['matches']} matches, "
                    f"count_signals gave {entry['sql'][view['name']]['matches']}"
                )
    warm_sql = [
        f"{_size_label(e['size'])} {v['name']}: {v['warm']['sql_statements']:g}"
        for e in result["sizes"]
        for v in e["page"]["views"]
    ]
    out.append("SQL statements per warm run (served by st.cache_data): " + "; ".join(warm_sql))
    out.append(
        "raw SQL split (count ms + page ms): "
        + "; ".join(
            f"{_size_label(e['size'])} {name}: {s['count_s'] * 1000:,.2f} + {s['page_s'] * 1000:,.2f}"
            for e in result["sizes"]
            for name, s in e["sql"].items()
        )
    )
    scaling = result.get("scaling") or {}
    if scaling:
        small, large = _size_label(scaling["small"]), _size_label(scaling["large"])
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[scaling["pass"]]
        out.append("")
        out.append(
            f"warm({large})/warm({small}) = {common.fmt_ratio(scaling['warm_ratio'])} "
            f"(target <= {scaling['target']:g}x): {verdict}"
        )
        out.append(
            f"for information: uncached({large})/uncached({small}) = {common.fmt_ratio(scaling['uncached_ratio'])}, "
            f"cold({large})/cold({small}) = {common.fmt_ratio(scaling['cold_ratio'])}, "
            f"raw SQL({large})/raw SQL({small}) = {common.fmt_ratio(scaling['sql_ratio'])}"
        )
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated signal counts (default 10000,100000,1000000)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="runs per median (default 5)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached demo databases")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the tables")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return common.worker_main(args.worker, worker)
    sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    result = run(sizes=sizes, seed=args.seed, runs=args.runs, rebuild=args.rebuild)
    result["machine"] = common.machine_info()
    if not args.json:
        print(common.render_machine(result["machine"]))
    common.emit(result, as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
