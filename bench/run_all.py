"""Run every benchmark and print everything: the write path, then the friction log page.

    python bench/run_all.py            # 30 s per write case; 10k, 100k and 1M signals
    python bench/run_all.py --quick    # 5 s per write case; 10k and 100k signals
    python bench/run_all.py --json     # one JSON document instead of the tables

Exit status 1 when the write path's correctness check fails (acknowledged != stored, or a
"database is locked" reached a user); timings never change the exit status.
"""

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, friction_log_page, write_path  # noqa: E402

QUICK_SECONDS = 5.0
QUICK_SIZES = (10_000, 100_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s writes, sizes 10k and 100k")
    parser.add_argument("--seconds", type=float, help="per write case (overrides --quick)")
    parser.add_argument("--sizes", help="comma-separated signal counts (overrides --quick)")
    parser.add_argument("--seed", type=int, default=friction_log_page.DEFAULT_SEED)
    parser.add_argument("--runs", type=int, default=friction_log_page.DEFAULT_RUNS)
    parser.add_argument("--backends", default=",".join(write_path.BACKENDS))
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the tables")
    parser.add_argument("--save", help="also write the JSON document to this file")
    args = parser.parse_args(argv)

    seconds = args.seconds or (QUICK_SECONDS if args.quick else write_path.DEFAULT_SECONDS)
    if args.sizes:
        sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    else:
        sizes = QUICK_SIZES if args.quick else friction_log_page.DEFAULT_SIZES

    machine = common.machine_info()
    began = time.perf_counter()
    writes = write_path.run(
        seconds=seconds,
        thread_counts=write_path.DEFAULT_THREADS,
        backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
    )
    if not args.json:  # print the first half while the second one runs
        print(common.render_machine(machine))
        print()
        print(write_path.render(writes), flush=True)
        print()
    page = friction_log_page.run(sizes=sizes, seed=args.seed, runs=args.runs)
    result = {
        "machine": machine,
        "machine_after": common.machine_info(),
        "write_path": writes,
        "friction_log_page": page,
        "total_s": time.perf_counter() - began,
        "ok": writes["ok"],
    }
    if args.json:
        print(common.to_json(common.clean_nan(result)))
    else:
        print(friction_log_page.render(page))
        print()
        load = " ".join(f"{x:.2f}" for x in result["machine_after"]["load_average"] or [])
        print(f"All benchmarks took {result['total_s']:.0f} s; load average at the end {load}.")
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        Path(args.save).write_text(common.to_json(common.clean_nan(result)), encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
