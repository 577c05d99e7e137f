"""Shared helpers for the benchmarks: paths, throw-away databases, timing, plain-text tables, machine facts.

Benchmarks print figures; they assert nothing about speed. Progress goes to standard error, results to
standard output (a table, or JSON with --json).
"""

import itertools
import json
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "bench" / "out"  # gitignored: cached demo databases, saved results
PYTHON = sys.executable
POSTGRES_URL_ENV = "CXOS_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

_database_numbers = itertools.count(1)


def ensure_repo_on_path() -> None:
    """`python bench/x.py` puts bench/ first on sys.path, not the repository; `-m bench.x` already works."""
    root = str(REPO_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- statistics and formatting


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of unsorted values; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ratio(numerator: float | None, denominator: float | None) -> float:
    if (
        numerator is None
        or denominator is None
        or not denominator
        or math.isnan(numerator)
        or math.isnan(denominator)
    ):
        return math.nan
    return numerator / denominator


def fmt(value: Any, digits: int = 3) -> str:
    """A number for a table cell: fixed decimals, thousands separators for integers, '-' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:,.2f}x"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> str:
    """A plain-text table; text columns left-aligned, everything else right-aligned."""
    cells = [[c if isinstance(c, str) else fmt(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(_looks_numeric(r[i]) for r in cells) if cells else False for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        )

    out = [title] if title else []
    out.append(line(list(headers)).rstrip())
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(r).rstrip() for r in cells)
    return "\n".join(out)


def _looks_numeric(text: str) -> bool:
    stripped = (
        text.replace(",", "").replace(".", "").replace("x", "").replace("-", "").replace("%", "").strip()
    )
    return stripped.isdigit() or text.strip() == "-"


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=_json_default, allow_nan=False)


def _json_default(value: Any) -> Any:
    return str(value)


def clean_nan(data: Any) -> Any:
    """NaN is not JSON: turn it into null, recursively."""
    if isinstance(data, float) and math.isnan(data):
        return None
    if isinstance(data, dict):
        return {k: clean_nan(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [clean_nan(v) for v in data]
    return data


def emit(result: dict[str, Any], *, as_json: bool, render: Callable[[dict[str, Any]], str]) -> None:
    print(to_json(clean_nan(result)) if as_json else render(result), flush=True)


# ---------------------------------------------------------------- the machine


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "memory_gib": None,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    mem_kib = _proc_field("/proc/meminfo", "MemTotal")
    if mem_kib:
        info["memory_gib"] = round(int(mem_kib.split()[0]) / 1024 / 1024, 1)
    return info


def render_machine(info: dict[str, Any]) -> str:
    return (
        f"Machine: {info['nproc']} cores ({info['cpu_model']}), {fmt(info['memory_gib'], 1)} GiB RAM; "
        f"Python {info['python']}, SQLite {info['sqlite']}; {info['platform']}; "
        f"load average {' '.join(f'{x:.2f}' for x in info['load_average'] or [])}"
    )


def _proc_field(path: str, name: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            for raw in handle:
                key, _, value = raw.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        return None
    return None


# ---------------------------------------------------------------- throw-away databases


@contextmanager
def temp_sqlite_url() -> Iterator[str]:
    """A SQLite file in its own temporary directory, removed (with -wal/-shm) afterwards."""
    with tempfile.TemporaryDirectory(prefix="cxos_bench_") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


def postgres_admin_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_ADMIN_URL


def _libpq_url(sqlalchemy_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_unreachable(admin_url: str) -> str | None:
    """Why PostgreSQL cannot be used for a benchmark, or None when it can."""
    try:
        import psycopg
    except ImportError as error:
        return f"psycopg is not installed ({error})"
    try:
        with psycopg.connect(_libpq_url(admin_url), autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # any reason at all is a reason to skip, and is printed
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    return None


def postgres_server_version(admin_url: str) -> str | None:
    import psycopg

    with psycopg.connect(_libpq_url(admin_url), autocommit=True, connect_timeout=5) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


@contextmanager
def temp_postgres_database(admin_url: str) -> Iterator[str]:
    """Create `cxos_bench_<pid>_<n>` through the admin URL, yield its SQLAlchemy URL, drop it WITH (FORCE)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"cxos_bench_{os.getpid()}_{next(_database_numbers)}"
    admin = _libpq_url(admin_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- AppTest timing in a fresh process
# st.cache_data / st.cache_resource are process-wide, so a cold run needs a process of its own: the page
# benchmarks run their AppTest in a worker (`python -m bench.<module> --worker SPEC`) that writes its
# figures to spec["result"].


def log_one_signal() -> None:
    """A real write, as a person logging friction makes it on this server: one signal through the one door on
    the app's own store handle, then the refresh `run_write` does. Only what the write changed reloads."""
    from sqlmodel import select

    from components.common.data import get_store, refresh_after_write
    from cxos.identity import Actor, Role
    from cxos.models import Touchpoint
    from cxos.signals.writes import create_signal

    store = get_store()
    with store.read() as session:
        touchpoint_id = session.exec(select(Touchpoint.id)).first()
    create_signal(
        store,
        signal_in={
            "title": "Bench: a signal logged between runs",
            "source": "ticket",
            "touchpoint_id": touchpoint_id,
        },
        actor=Actor("Bench", Role.CONTRIBUTOR),
    )
    refresh_after_write()


def timed_apptest_run(at: Any, *, after_write: bool = False) -> float:
    """Seconds for one `at.run()`; with after_write, right after a real write (`log_one_signal`): what the next
    viewer pays once someone changed something. (A warm run without a write is a cache hit: no SQL runs.)"""
    if after_write:
        log_one_signal()
    began = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - began
    if at.exception:
        raise RuntimeError(f"the page raised: {[e.message for e in at.exception]}")
    return seconds


def run_worker(module: str, spec: dict[str, Any], database_path: str | None) -> dict[str, Any]:
    """Run `module`'s worker on `spec` in a fresh process against the database, and return its figures."""
    env = dict(os.environ)
    if database_path:
        env["CXOS_DATABASE_URL"] = f"sqlite:///{database_path}"
    with tempfile.TemporaryDirectory(prefix="cxos_bench_") as directory:
        result_file = Path(directory) / "result.json"
        done = subprocess.run(
            [PYTHON, "-m", module, "--worker", json.dumps({**spec, "result": str(result_file)})],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not result_file.exists():
            raise SystemExit(f"{module} worker failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
        return json.loads(result_file.read_text(encoding="utf-8"))


def worker_main(spec_json: str, worker: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """The --worker side of run_worker: compute the figures and write them where the parent reads them."""
    spec = json.loads(spec_json)
    Path(spec["result"]).write_text(json.dumps(worker(spec)), encoding="utf-8")
    return 0
