"""Clustering signals into candidate failure modes at 10k signals and beyond: time, cluster counts, purity.

Target: 10k signals under 30 s. For each size the cached demo database (bench/out/, built with
`python -m cxos demo --signals N --seed S` as friction_log_page.py does) is copied to a temporary file and
its failure modes are turned back into candidates, so that *every* signal in the window is clustered (on
the shipped demo most are already in an accepted failure mode). Then `cxos.failure_modes.clustering.cluster_signals`
runs with a window that covers the whole demo, `--runs` times (median; the first run is also shown).

Purity: each signal's true group is its demo failure mode, or for background signals its title (the demo
writes one phrase per background failure); a cluster's purity is the share of its largest true group.

    python bench/clustering.py [--sizes 10000,20000,100000] [--seed 7] [--runs 3] [--json]
"""

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.friction_log_page import demo_database  # noqa: E402

common.ensure_repo_on_path()

DEFAULT_SIZES = (10_000, 20_000, 100_000)
DEFAULT_SEED = 7
DEFAULT_RUNS = 3
TARGET_S = 30.0
WINDOW_DAYS = 200  # the demo spans 26 weeks


def measure(size: int, seed: int, runs: int) -> dict[str, Any]:
    from sqlalchemy import func, text
    from sqlmodel import select

    from cxos.failure_modes.clustering import MAX_SIGNALS, cluster_signals
    from cxos.models import Signal
    from cxos.store.store import Store

    database = demo_database(size, seed)
    with tempfile.TemporaryDirectory(prefix="cxos_bench_") as directory:
        path = Path(directory) / "clustering.db"
        shutil.copy(database["path"], path)
        store = Store.open(f"sqlite:///{path}")
        with store.read() as session:
            truth = {
                sid: (f"mode {mode}" if mode else title)
                for sid, mode, title in session.exec(select(Signal.id, Signal.failure_mode_id, Signal.title))
            }
            now = session.exec(select(func.max(Signal.created_at))).one() + timedelta(seconds=1)
        with store.write() as session:  # benchmark copy only: every signal becomes clusterable
            session.execute(text("UPDATE failure_mode SET status = 'candidate'"))
        times, result = [], None
        for _ in range(runs):
            began = time.perf_counter()
            with store.read() as session:
                result = cluster_signals(session, now=now, window_days=WINDOW_DAYS)
            times.append(time.perf_counter() - began)
        store.dispose()
    clustered = sum(c.size for c in result.candidates)
    majority = sum(Counter(truth[s] for s in c.signal_ids).most_common(1)[0][1] for c in result.candidates)
    return {
        "size": size,
        "considered": result.considered,
        "capped_at": MAX_SIGNALS,
        "first_s": times[0],
        "median_s": common.median(times),
        "candidates": len(result.candidates),
        "clustered_signals": clustered,
        "largest": max((c.size for c in result.candidates), default=0),
        "purity": common.ratio(majority, clustered),
        "duplicate_pairs": len(result.duplicates),
        "merge_pairs": len(result.merges),
        "database_cached": database["cached"],
    }


def run(*, sizes: tuple[int, ...], seed: int, runs: int) -> dict[str, Any]:
    rows = []
    for size in sizes:
        common.log(f"clustering: {size:,} signals…")
        rows.append(measure(size, seed, runs))
    ten_k = next((r for r in rows if r["size"] == 10_000), None)
    return {
        "machine": common.machine_info(),
        "target_s": TARGET_S,
        "sizes": rows,
        "pass": None if ten_k is None else ten_k["median_s"] < TARGET_S,
    }


def render(result: dict[str, Any]) -> str:
    table = common.format_table(
        [
            "signals in db",
            "clustered",
            "first s",
            "median s",
            "candidates",
            "in clusters",
            "largest",
            "purity",
            "duplicate pairs",
            "merge pairs",
        ],
        [
            [
                r["size"],
                r["considered"],
                r["first_s"],
                r["median_s"],
                r["candidates"],
                r["clustered_signals"],
                r["largest"],
                f"{r['purity']:.1%}",
                r["duplicate_pairs"],
                r["merge_pairs"],
            ]
            for r in result["sizes"]
        ],
        title="Clustering signals into candidate failure modes (cxos.failure_modes.clustering.cluster_signals)",
    )
    verdict = {True: "PASS", False: "MISS", None: "not measured"}[result["pass"]]
    cap = result["sizes"][0]["capped_at"] if result["sizes"] else "-"
    return "\n".join(
        [
            common.render_machine(result["machine"]),
            "",
            table,
            "",
            f"10k signals under {result['target_s']:.0f} s: {verdict}. "
            f"At most the newest {cap:,} signals of the window are clustered (larger logs are capped).",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    common.emit(run(sizes=sizes, seed=args.seed, runs=args.runs), as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
