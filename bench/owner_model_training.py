"""Training the owner model in the background, and routing by it on arrival: seconds, memory, accuracy, latency.

    python bench/owner_model_training.py                    # 10k and 100k signals (seeded demo databases)
    python bench/owner_model_training.py --sizes 10000 --json

For each size, a fresh process runs exactly what the worker and `python -m cxos train` run
(`cxos.routing.model_training.train_and_store`) on a copy of the demo database, and reports:
- train CPU-s and wall-s (reading the confirmed routes, fitting, storing), and the process's peak RSS;
- the model's accuracy on its calibration holdout, and coverage / precision at the auto-route threshold;
- the stored model's size, the first read of it in a new process, and routing on arrival per signal
  (`ArrivalRouter.decide` of one signal at a time, as the quick-entry form does) on the model's path (no rule
  matches: median and p95, CPU and wall), and with the demo's rules first (mean CPU; most match a rule).
The load average is printed with the figures: on a shared machine wall time is several times CPU time.
Targets: training on 100k confirmed routes ≤ 10 s; inference ≤ 20 ms a signal.
"""

import argparse
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.friction_log_page import demo_database  # noqa: E402

common.ensure_repo_on_path()

TARGET_TRAIN_S, TARGET_INFERENCE_MS = 10.0, 20.0
ROUTED_SIGNALS = 200


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: train and store, then read the model back and route signals one by one."""
    from sqlalchemy import func
    from sqlmodel import select

    from cxos.models import OwnerModelRecord, Signal
    from cxos.routing import owner_model
    from cxos.routing.model_training import train_and_store
    from cxos.routing.rule_engine import RuleSet
    from cxos.signals.arrival import arrival_router
    from cxos.store.store import Store

    store = Store(spec["url"])
    load_before = common.machine_info()["load_average"]
    cpu, wall = time.process_time(), time.perf_counter()
    result = train_and_store(store)
    train_cpu, train_wall = time.process_time() - cpu, time.perf_counter() - wall
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with store.read() as session:
        blob = session.exec(
            select(func.length(OwnerModelRecord.model)).where(OwnerModelRecord.id == result.version)
        ).one()
        signals = session.exec(select(Signal).order_by(Signal.id.desc()).limit(ROUTED_SIGNALS)).all()
    owner_model.forget()  # as a new app process: the first use reads the stored model
    wall = time.perf_counter()
    router = arrival_router(store)
    first_read = time.perf_counter() - wall
    # The model's path: rules first (none match here), then the model: what a signal no rule takes costs.
    model_path = replace(router, rules=RuleSet(()))
    cpu_ms, wall_ms = [], []
    for signal in signals:
        cpu, wall = time.process_time(), time.perf_counter()
        model_path.decide(signal)
        cpu_ms.append((time.process_time() - cpu) * 1000)
        wall_ms.append((time.perf_counter() - wall) * 1000)
    rules_cpu = time.process_time()
    for signal in signals:
        router.decide(signal)
    rules_path_ms = (time.process_time() - rules_cpu) * 1000 / len(signals)
    return {
        "signals": spec["size"],
        "confirmed_routes": result.confirmed_routes,
        "trained_on": result.rows,
        "fit_s": result.seconds,
        "train_cpu_s": train_cpu,
        "train_wall_s": train_wall,
        "peak_rss_mib": rss_mib,
        "metrics": result.metrics or {},
        "model_mib": (blob or 0) / 2**20,
        "first_read_s": first_read,
        "inference_cpu_ms_median": common.median(cpu_ms),
        "rules_then_model_cpu_ms_mean": rules_path_ms,
        "inference_wall_ms_median": common.median(wall_ms),
        "inference_wall_ms_p95": common.percentile(wall_ms, 95),
        "load_before": load_before,
        "load_after": common.machine_info()["load_average"],
    }


def run(sizes: list[int], seed: int) -> dict[str, Any]:
    rows = []
    for size in sizes:
        database = demo_database(size, seed)
        with tempfile.TemporaryDirectory(prefix="cxos_bench_model_") as directory:
            copy = Path(directory) / "cxos.db"
            shutil.copy(database["path"], copy)
            from cxos.store.store import Store

            Store.open(f"sqlite:///{copy}").dispose()  # migrated to head, as the app would
            common.log(f"owner model: training on the {size:,}-signal demo…")
            rows.append(
                common.run_worker(
                    "bench.owner_model_training", {"url": f"sqlite:///{copy}", "size": size}, str(copy)
                )
            )
    return {"machine": common.machine_info(), "sizes": rows}


def _load(values: list[float] | None) -> str:
    return " ".join(f"{v:.2f}" for v in values or [])


def render(result: dict[str, Any]) -> str:
    headers = [
        "signals",
        "confirmed",
        "trained on",
        "train CPU-s",
        "train wall-s",
        "peak RSS MiB",
        "holdout acc",
        "coverage",
        "precision",
        "model MiB",
        "1st read s",
        "model infer CPU ms",
        "model infer wall ms (p95)",
        "demo rules+model CPU ms",
        "load avg before → after",
    ]
    rows = [
        [
            r["signals"],
            r["confirmed_routes"],
            r["trained_on"],
            common.fmt(r["train_cpu_s"], 2),
            common.fmt(r["train_wall_s"], 2),
            common.fmt(r["peak_rss_mib"], 0),
            common.fmt(r["metrics"].get("holdout_accuracy"), 4),
            common.fmt(r["metrics"].get("coverage"), 3),
            common.fmt(r["metrics"].get("precision"), 4),
            common.fmt(r["model_mib"], 1),
            common.fmt(r["first_read_s"], 2),
            common.fmt(r["inference_cpu_ms_median"], 2),
            f"{common.fmt(r['inference_wall_ms_median'], 2)} ({common.fmt(r['inference_wall_ms_p95'], 2)})",
            common.fmt(r["rules_then_model_cpu_ms_mean"], 2),
            f"{_load(r['load_before'])} → {_load(r['load_after'])}",
        ]
        for r in result["sizes"]
    ]
    return "\n".join(
        [
            common.format_table(
                headers, rows, title="Owner model: background training and routing on arrival"
            ),
            f"Targets: training ≤ {TARGET_TRAIN_S:.0f} s at 100k; routing on arrival ≤ {TARGET_INFERENCE_MS:.0f} ms "
            "a signal. Coverage / precision: share of holdout rows at or above the auto-route threshold, and "
            "accuracy on those.",
            common.render_machine(result["machine"]),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return common.worker_main(args.worker, worker)
    common.emit(run(args.sizes, args.seed), as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
