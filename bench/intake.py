"""The intake API under sustained load: concurrent POST /api/v1/signals against the app as `make run` serves it.

    python bench/intake.py                      # 20 clients for 30 s, SQLite then PostgreSQL
    python bench/intake.py --clients 8 --seconds 5 --backends sqlite --json

Each client keeps one HTTP connection and posts signals with an Idempotency-Key of its own. Printed per
backend: requests/s, latency p50/p95/p99, the answers by status, and whether every acknowledged signal (201)
is stored (acknowledged = stored), checked in the database after the run. Timings never change the exit
status; a lost acknowledged signal does (exit 1).

Meanwhile a person keeps the Experience Council open in headless Chromium (unless --no-browser): the page is
loaded again and again, each load timed from navigation until the script is idle; the same loads before
the clients start are the baseline. Both are printed (median, p95), so the cost of the intake to the people
using the app is beside the intake's own figures.
"""

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.served_app import seed_demo, start_app, stop_app  # noqa: E402  # the app as make run serves it

BACKENDS = ("sqlite", "postgresql")
DEFAULT_CLIENTS, DEFAULT_SECONDS = 20, 30.0
BASELINE_LOADS = 5
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _council_loads(base: str, *, loads: int | None, until: float | None, out: list[float]) -> None:
    """Open the council page `loads` times (or until `until`), each timed navigation → the script idle."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"{base}/Council")  # warm: the first load also starts the session
        page.wait_for_selector(IDLE, state="attached", timeout=120_000)
        n = 0
        while (loads is not None and n < loads) or (until is not None and time.monotonic() < until):
            began = time.perf_counter()
            page.goto(f"{base}/Council")
            page.wait_for_timeout(100)  # the script starts after the page's websocket connects
            page.wait_for_selector(IDLE, state="attached", timeout=120_000)
            out.append(time.perf_counter() - began)
            n += 1
        browser.close()


def _client(port: int, token: str, touchpoint_id: int, until: float, out: dict[str, Any]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    prefix = uuid.uuid4().hex[:8]
    n = 0
    while time.monotonic() < until:
        n += 1
        body = json.dumps(
            {"title": f"Bench signal {prefix}-{n}", "source": "ticket", "touchpoint_id": touchpoint_id}
        )
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"{prefix}-{n}",
        }
        started = time.perf_counter()
        try:
            connection.request("POST", "/api/v1/signals", body=body, headers=headers)
            response = connection.getresponse()
            answer = json.loads(response.read() or b"{}")
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            out["errors"].append(type(error).__name__)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        out["latencies"].append(time.perf_counter() - started)
        out["statuses"][status] += 1
        if status == 201:
            out["acknowledged"].append(answer["id"])
    connection.close()


def run_backend(
    url: str, backend: str, *, clients: int, seconds: float, browser: bool = True
) -> dict[str, Any]:
    from sqlmodel import col, func, select

    from cxos.identity import Actor
    from cxos.intake.tokens import create_token
    from cxos.journey.map import touchpoint_options
    from cxos.models import InboxItem, Signal
    from cxos.store.store import Store
    from cxos.vocabulary import Role, TokenScope

    env = os.environ | {
        "CXOS_DATABASE_URL": url,
        "CXOS_INTAKE_RATE_LIMIT": "1000000000",
        "CXOS_MODEL_WORKER": "off",
        "CXOS_LOCAL_USER": "Priya Shah",  # the council member whose page is watched: never asked for a name
    }
    common.log(f"{backend}: seeding a 300-signal demo")
    seed_demo(env, signals=300)
    store = Store.open(url)
    token = create_token(store, name="bench", scope=TokenScope.WRITE, actor=Actor("bench", Role.ADMIN)).secret
    with store.read() as session:
        touchpoint_id = touchpoint_options(session)[0].id
    workdir = Path(tempfile.mkdtemp(prefix="cxos_bench_intake_"))
    server, base = start_app(env, workdir / "streamlit.log")
    port = int(base.rsplit(":", 1)[1])
    out: dict[str, Any] = {"latencies": [], "statuses": Counter(), "acknowledged": [], "errors": []}
    idle_loads: list[float] = []
    busy_loads: list[float] = []
    if browser:
        common.log(f"{backend}: the council page alone, {BASELINE_LOADS} loads")
        _council_loads(base, loads=BASELINE_LOADS, until=None, out=idle_loads)
    common.log(f"{backend}: {clients} clients for {seconds:g} s")
    started = time.monotonic()
    until = started + seconds
    threads = [
        threading.Thread(target=_client, args=(port, token, touchpoint_id, until, out))
        for _ in range(clients)
    ]
    if browser:
        threads.append(
            threading.Thread(
                target=_council_loads, args=(base,), kwargs={"loads": None, "until": until, "out": busy_loads}
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    stop_app(server)
    acknowledged = set(out["acknowledged"])
    with store.read() as session:
        stored = (
            set(session.exec(select(Signal.id).where(col(Signal.id).in_(acknowledged))).all())
            if acknowledged
            else set()
        )
        by_bench = session.exec(
            select(func.count()).select_from(Signal).where(Signal.created_by == "bench")
        ).one()
        pending = session.exec(
            select(func.count()).select_from(InboxItem).where(InboxItem.state == "pending")
        ).one()
    store.dispose()
    latencies = out["latencies"]
    return {
        "backend": backend,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_s": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": common.percentile(latencies, 50) * 1000,
        "p95_ms": common.percentile(latencies, 95) * 1000,
        "p99_ms": common.percentile(latencies, 99) * 1000,
        "statuses": {str(k): v for k, v in sorted(out["statuses"].items())},
        "connection_errors": len(out["errors"]),
        "acknowledged": len(acknowledged),
        "acknowledged_stored": len(stored),
        "signals_by_bench": by_bench,
        "inbox_pending": pending,
        "acknowledged_equals_stored": stored == acknowledged and by_bench >= len(acknowledged),
        "council_idle_s": _spread(idle_loads),
        "council_busy_s": _spread(busy_loads),
    }


def _spread(seconds: list[float]) -> dict[str, float | int] | None:
    if not seconds:
        return None
    return {"loads": len(seconds), "median": common.median(seconds), "p95": common.percentile(seconds, 95)}


def _loads_text(spread: dict[str, Any] | None) -> str:
    if not spread:
        return "—"
    return f"{spread['median']:.2f} / {spread['p95']:.2f} ({spread['loads']})"


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            r["backend"],
            r["clients"],
            r["seconds"],
            r["requests"],
            common.fmt(r["requests_per_s"], 1),
            common.fmt(r["p50_ms"], 1),
            common.fmt(r["p95_ms"], 1),
            common.fmt(r["p99_ms"], 1),
            " ".join(f"{k}:{v}" for k, v in r["statuses"].items()),
            f"{r['acknowledged_stored']}/{r['acknowledged']}",
            "yes" if r["acknowledged_equals_stored"] else "NO",
            _loads_text(r.get("council_idle_s")),
            _loads_text(r.get("council_busy_s")),
        ]
        for r in result["runs"]
    ]
    headers = [
        "backend",
        "clients",
        "s",
        "requests",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "answers",
        "stored/acked",
        "ack = stored",
        "council alone s (median / p95, loads)",
        "council meanwhile s",
    ]
    skipped = "".join(f"\n{name}: skipped ({why})" for name, why in result["skipped"].items())
    return (
        common.render_machine(result["machine"])
        + "\n"
        + common.format_table(headers, rows, title="POST /api/v1/signals")
        + skipped
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--no-browser", action="store_true", help="no council page watched meanwhile")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    runs, skipped = [], {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "sqlite":
            with common.temp_sqlite_url() as url:
                runs.append(
                    run_backend(
                        url, backend, clients=args.clients, seconds=args.seconds, browser=not args.no_browser
                    )
                )
        elif backend == "postgresql":
            admin = common.postgres_admin_url()
            why = common.postgres_unreachable(admin)
            if why:
                skipped[backend] = why
                continue
            with common.temp_postgres_database(admin) as url:
                runs.append(
                    run_backend(
                        url, backend, clients=args.clients, seconds=args.seconds, browser=not args.no_browser
                    )
                )
    result = {"machine": common.machine_info(), "runs": runs, "skipped": skipped}
    common.emit(result, as_json=args.json, render=render)
    return 0 if all(r["acknowledged_equals_stored"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
