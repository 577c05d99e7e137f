"""Many people at once, right after a write: browser sessions loading every page together, on SQLite and on
PostgreSQL with two app processes.

    python bench/concurrency.py                 # 1, 5, 10, 20 sessions; SQLite, then PostgreSQL (2 processes)
    python bench/concurrency.py --sessions 20 --backends postgresql --json

The app is served as `make run` serves it (`streamlit run serve.py`, pages and intake API on one port) on the
`--signals` demo (seed `--seed`): one process on SQLite; on PostgreSQL two processes on different ports sharing
one database, the sessions split between them. Each session is a browser context of its own in one headless
Chromium (Playwright). For each case (N sessions) and each page of bench/after_write.py: one signal is logged
through process A's intake API (a real write, every loader of signals must run again), then all N sessions open
the page at once; each load is timed from navigation until the Streamlit script has finished (the app's
script state is `notRunning` after a run, so no running indicator). Printed per case: p50 / p95 / max of those
times, errors (an exception shown or a failed navigation), stuck loads (not idle within `--timeout` s), the
app processes' CPU seconds and RSS, and the load average.

Freshness: a signal with a unique title is posted to process A, and process B's friction log is opened again
and again, searching for it, until it shows it: the seconds from A's answer to the end of the first load in B
that shows the signal (`--fresh-trials` times). With one process (SQLite) A and B are the same process.

Timings never change the exit status. The model worker is off (CXOS_MODEL_WORKER=off) so that background
training does not share the CPU with the loads being timed.
"""

import argparse
import asyncio
import http.client
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.after_write import PAGES  # noqa: E402
from bench.friction_log_page import demo_database  # noqa: E402
from components.common import pages  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.served_app import start_app, stop_app  # noqa: E402  # the app as make run serves it

BACKENDS = ("sqlite", "postgresql")
DEFAULT_SESSIONS = (1, 5, 10, 20)
DEFAULT_SIGNALS, DEFAULT_SEED = 10_000, 11
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_FRESH_TRIALS = 5
FIRST_PORT = 8711  # this bench's ports: 8711 (A) and 8712 (B); --port moves them
USER = "Dana Kim"
VIEWPORT = {"width": 1440, "height": 900}
# Counts the runs the script finished in this document: running → notRunning. A fresh page starts "initial",
# so waiting for the first such transition after navigation never mistakes the state before the run for idle.
WATCH_RUNS = """
window.__cxosRuns = 0; window.__cxosRunning = false;
new MutationObserver(() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app) return;
  const state = app.getAttribute("data-test-script-state");
  if (state === "running") window.__cxosRunning = true;
  else if (state === "notRunning" && window.__cxosRunning) { window.__cxosRunning = false; window.__cxosRuns += 1; }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-test-script-state"]});
"""
SHOWN_ERROR = "[data-testid='stException']"


# ---------------------------------------------------------------- the processes


def process_cpu_s(pid: int) -> float:
    """utime + stime of a process and its waited-for children, in seconds (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


def process_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Api:
    """Process A's intake API: a real write, as another tool would make it."""

    def __init__(self, base: str, token: str, touchpoint_id: int):
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port, self.token, self.touchpoint_id = host, int(port), token, touchpoint_id

    def post_signal(self, title: str) -> None:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            body = json.dumps({"title": title, "source": "ticket", "touchpoint_id": self.touchpoint_id})
            headers = {
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            connection.request("POST", "/api/v1/signals", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 201:
                raise RuntimeError(f"the intake API answered {response.status}: {answer[:300]!r}")
        finally:
            connection.close()


def prepare_database(backend: str, url: str, signals: int, seed: int) -> None:
    if backend == "postgresql":
        common.log(f"concurrency: a {signals:,}-signal demo on PostgreSQL…")
        env = os.environ | {"CXOS_DATABASE_URL": url}
        began = time.perf_counter()
        done = common_run(
            [common.PYTHON, "-m", "cxos", "demo", "--signals", str(signals), "--seed", str(seed)], env
        )
        if done.returncode != 0:
            raise SystemExit(f"the PostgreSQL demo failed:\n{done.stderr[-3000:]}")
        common.log(f"concurrency: demo built in {time.perf_counter() - began:.1f} s")


def common_run(command: list[str], env: dict[str, str]) -> Any:
    import subprocess

    return subprocess.run(command, cwd=common.REPO_ROOT, env=env, capture_output=True, text=True)


def bench_token(url: str) -> tuple[str, int]:
    from cxos.identity import Actor
    from cxos.intake.tokens import create_token
    from cxos.journey.map import touchpoint_options
    from cxos.store.store import Store
    from cxos.vocabulary import Role, TokenScope

    store = Store.open(url)
    try:
        token = create_token(
            store,
            name=f"bench-{uuid.uuid4().hex[:6]}",
            scope=TokenScope.WRITE,
            actor=Actor("bench", Role.ADMIN),
        ).secret
        with store.read() as session:
            touchpoint_id = touchpoint_options(session)[0].id
    finally:
        store.dispose()
    return token, touchpoint_id


# ---------------------------------------------------------------- the browser side


async def load(page: Any, url: str, timeout_s: float) -> tuple[str, float]:
    """Open `url` and wait until the script finished its run: ("ok" | "error" | "stuck", seconds)."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    began = time.perf_counter()
    try:
        await page.goto(url, timeout=timeout_s * 1000)
        left = max(0.1, timeout_s - (time.perf_counter() - began))
        await page.wait_for_function("window.__cxosRuns >= 1", timeout=left * 1000, polling=50)
        seconds = time.perf_counter() - began
        return ("error" if await page.locator(SHOWN_ERROR).count() else "ok"), seconds
    except PlaywrightTimeout:
        return "stuck", time.perf_counter() - began
    except PlaywrightError:
        return "error", time.perf_counter() - began


async def run_case(
    browser: Any, bases: list[str], api: Api, sessions: int, names: list[str], timeout_s: float
) -> dict[str, Any]:
    contexts = [await browser.new_context(viewport=VIEWPORT) for _ in range(sessions)]
    for context in contexts:
        await context.add_init_script(WATCH_RUNS)
    tabs = [await context.new_page() for context in contexts]
    # Each session opens the app once first (its static files in the browser's cache, as for a person who
    # has the app open); that visit is not timed.
    await asyncio.gather(*(load(tab, bases[i % len(bases)] + "/", timeout_s) for i, tab in enumerate(tabs)))
    times: list[float] = []
    outcomes = {"ok": 0, "error": 0, "stuck": 0}
    per_page: dict[str, list[float]] = {}
    write_failures: list[str] = []
    for name in names:
        path, query = PAGES[name]
        address = next(p for p in pages.PAGES if p.path == path).url(**query)
        try:
            api.post_signal(f"Concurrency bench: a signal before {name}")
        except (OSError, http.client.HTTPException, RuntimeError) as error:
            write_failures.append(f"{name}: {type(error).__name__}: {error}")
        results = await asyncio.gather(
            *(load(tab, bases[i % len(bases)] + address, timeout_s) for i, tab in enumerate(tabs))
        )
        for outcome, seconds in results:
            outcomes[outcome] += 1
            times.append(seconds)
            per_page.setdefault(name, []).append(seconds)
    for context in contexts:
        await context.close()
    return {"times": times, "outcomes": outcomes, "per_page": per_page, "write_failures": write_failures}


async def freshness(browser: Any, api: Api, base_b: str, trials: int, timeout_s: float) -> dict[str, Any]:
    """Seconds from A's 201 until a load of B's friction log shows the new signal.

    B first searches for the signal's unique word before it exists ("0 signals match", now cached in B for
    that search), then A stores it and B opens the same search again until it counts it: only a data version
    that reached B makes B read again."""
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(WATCH_RUNS)
    tab = await context.new_page()
    summary = tab.get_by_text("newest first").first
    lags, started, loads_needed = [], [], []
    for _ in range(trials):
        marker = f"fresh{uuid.uuid4().hex[:10]}"
        address = f"{base_b}/Friction_log?q={marker}"
        if (await load(tab, address, timeout_s))[0] != "ok" or not await summary.count():
            raise RuntimeError("process B did not serve its friction log before the write (still busy?)")
        if not (await summary.inner_text()).startswith("0 signals"):
            raise RuntimeError(f"B's search for {marker} did not start empty: {await summary.inner_text()!r}")
        try:
            api.post_signal(f"Freshness {marker}")
        except (OSError, http.client.HTTPException, RuntimeError):
            lags.append(float("nan"))  # the write itself failed: counted as never shown
            started.append(float("nan"))
            loads_needed.append(0)
            continue
        written = time.perf_counter()
        n = 0
        while True:
            n += 1
            began = time.perf_counter() - written
            outcome, _ = await load(tab, address, timeout_s)
            if outcome == "ok" and (await summary.inner_text()).startswith("1 signal "):
                lags.append(time.perf_counter() - written)
                started.append(began)
                loads_needed.append(n)
                break
            if time.perf_counter() - written > timeout_s:
                lags.append(float("nan"))  # never shown within the timeout
                started.append(float("nan"))
                loads_needed.append(n)
                break
    await context.close()
    return {"lags_s": lags, "load_started_s": started, "loads": loads_needed}


# ---------------------------------------------------------------- one backend


def run_backend(
    backend: str,
    *,
    sessions: tuple[int, ...],
    names: list[str],
    signals: int,
    seed: int,
    timeout_s: float,
    fresh_trials: int,
    first_port: int,
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory(prefix="cxos_concurrency_") as directory:
        workdir = Path(directory)
        if backend == "sqlite":
            copy = workdir / "app.db"
            shutil.copy(demo_database(signals, seed)["path"], copy)
            database: Any = None
            url = f"sqlite:///{copy}"
        else:
            database = common.temp_postgres_database(common.postgres_admin_url())
            url = database.__enter__()
        try:
            prepare_database(backend, url, signals, seed)
            token, touchpoint_id = bench_token(url)
            env = os.environ | {
                "CXOS_DATABASE_URL": url,
                "CXOS_LOCAL_USER": USER,
                "CXOS_MODEL_WORKER": "off",
                "CXOS_INTAKE_RATE_LIMIT": "1000000000",
            }
            processes = 1 if backend == "sqlite" else 2
            servers = []
            try:
                for n in range(processes):
                    common.log(f"concurrency: {backend}: starting app process {n + 1} of {processes}…")
                    servers.append(start_app(env, workdir / f"app{n}.log", port=first_port + n))
                bases = [base for _, base in servers]
                api = Api(bases[0], token, touchpoint_id)
                cases = asyncio.run(
                    _cases(async_playwright, bases, api, servers, sessions, names, timeout_s, fresh_trials)
                )
            finally:
                for server, _ in servers:
                    stop_app(server)
        finally:
            if database is not None:
                database.__exit__(None, None, None)
    return {"backend": backend, "processes": processes, **cases}


async def _cases(
    async_playwright: Any,
    bases: list[str],
    api: Api,
    servers: list[Any],
    sessions: tuple[int, ...],
    names: list[str],
    timeout_s: float,
    fresh_trials: int,
) -> dict[str, Any]:
    pids = [server.pid for server, _ in servers]
    rows = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        for n in sessions:
            common.log(f"concurrency: {len(bases)} process(es), {n} sessions…")
            load_before = list(os.getloadavg())
            cpu_before = [process_cpu_s(pid) for pid in pids]
            began = time.perf_counter()
            case = await run_case(browser, bases, api, n, names, timeout_s)
            rows.append(
                {
                    "sessions": n,
                    "loads": len(case["times"]),
                    "p50_s": common.percentile(case["times"], 50),
                    "p95_s": common.percentile(case["times"], 95),
                    "max_s": max(case["times"]),
                    "ok": case["outcomes"]["ok"],
                    "errors": case["outcomes"]["error"],
                    "stuck": case["outcomes"]["stuck"],
                    "wall_s": time.perf_counter() - began,
                    "server_cpu_s": [process_cpu_s(pid) - c for pid, c in zip(pids, cpu_before, strict=True)],
                    "server_rss_mib": [process_rss_mib(pid) for pid in pids],
                    "load_before": load_before,
                    "load_after": list(os.getloadavg()),
                    "per_page_p95_s": {k: common.percentile(v, 95) for k, v in case["per_page"].items()},
                    "write_failures": case["write_failures"],
                }
            )
            r = rows[-1]
            common.log(
                f"  {n} sessions: p50 {r['p50_s']:.2f} s, p95 {r['p95_s']:.2f} s, max {r['max_s']:.2f} s, "
                f"errors {r['errors']}, stuck {r['stuck']}, writes failed {len(r['write_failures'])}, "
                f"server CPU {r['server_cpu_s']}, load {r['load_before'][0]:.1f} → {r['load_after'][0]:.1f}"
            )
        common.log("concurrency: freshness…")
        fresh_load = list(os.getloadavg())
        try:
            fresh = await freshness(browser, api, bases[-1], fresh_trials, timeout_s)
        except Exception as error:  # a server still busy with stuck loads: said, not fatal
            common.log(f"concurrency: freshness not measured: {type(error).__name__}: {error}")
            fresh = {"lags_s": [float("nan")], "load_started_s": [float("nan")], "loads": [0]}
        await browser.close()
    lags = fresh["lags_s"]
    return {
        "cases": rows,
        "freshness": {
            **fresh,
            "median_s": common.median(lags),
            "max_s": float("nan") if any(x != x for x in lags) else max(lags),
            "never_shown": sum(1 for x in lags if x != x),
            "load": fresh_load,
            "other_process": len(bases) > 1,
        },
    }


# ---------------------------------------------------------------- output


def render(result: dict[str, Any]) -> str:
    out = [common.render_machine(result["machine"])]
    rows = []
    for backend in result["backends"]:
        for r in backend["cases"]:
            rows.append(
                [
                    f"{backend['backend']} ×{backend['processes']}",
                    r["sessions"],
                    r["loads"],
                    r["p50_s"],
                    r["p95_s"],
                    r["max_s"],
                    r["errors"],
                    r["stuck"],
                    len(r.get("write_failures", [])),
                    " + ".join(f"{c:.1f}" for c in r["server_cpu_s"]),
                    " / ".join(f"{m:.0f}" for m in r["server_rss_mib"]),
                    f"{r['load_before'][0]:.1f} → {r['load_after'][0]:.1f}",
                ]
            )
    out.append(
        common.format_table(
            [
                "backend",
                "sessions",
                "loads",
                "p50 s",
                "p95 s",
                "max s",
                "errors",
                "stuck",
                "writes failed",
                "server CPU s",
                "RSS MiB",
                "load 1m",
            ],
            rows,
            title=(
                f"{result['signals']:,}-signal demo; per case every page once per session, each right after a "
                f"write; navigation → idle (timeout {result['timeout_s']:g} s)"
            ),
        )
    )
    for backend in result["backends"]:
        f = backend["freshness"]
        where = "process B (another process)" if f["other_process"] else "the same process"
        out.append(
            f"{backend['backend']}: a write to process A shown in {where}: median {f['median_s']:.2f} s, "
            f"max {f['max_s']:.2f} s over {len(f['lags_s'])} writes, to the end of the load that showed it "
            f"(that load began {common.median(f['load_started_s']):.2f} s after the write, median; loads "
            f"needed {f['loads']}; never shown {f['never_shown']}; "
            f"load average {' '.join(f'{x:.2f}' for x in f['load'])})"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default=",".join(map(str, DEFAULT_SESSIONS)))
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated names: " + ", ".join(PAGES))
    parser.add_argument("--signals", type=int, default=DEFAULT_SIGNALS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds before a load is stuck"
    )
    parser.add_argument("--fresh-trials", type=int, default=DEFAULT_FRESH_TRIALS)
    parser.add_argument("--port", type=int, default=FIRST_PORT, help="process A's port; B's is the next one")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.pages.split(",") if n.strip()]
    unknown = [n for n in names if n not in PAGES]
    if unknown:
        parser.error(f"unknown pages {unknown}; known: {', '.join(PAGES)}")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgresql" in backends:
        why = common.postgres_unreachable(common.postgres_admin_url())
        if why:
            common.log(f"concurrency: PostgreSQL skipped: {why}")
            backends.remove("postgresql")
    result: dict[str, Any] = {
        "benchmark": "concurrency",
        "signals": args.signals,
        "seed": args.seed,
        "timeout_s": args.timeout,
        "backends": [
            run_backend(
                backend,
                sessions=tuple(int(s) for s in args.sessions.split(",")),
                names=names,
                signals=args.signals,
                seed=args.seed,
                timeout_s=args.timeout,
                fresh_trials=args.fresh_trials,
                first_port=args.port,
            )
            for backend in backends
        ],
    }
    result["machine"] = common.machine_info()
    common.emit(result, as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
