"""Council clicks in a real browser on the 10k demo: how long each step change and council action takes to
settle, beside an empty page's rerun measured in the same run, with the load average.

One `streamlit run app.py` on a copy of the demo database (`python -m cxos demo --signals N --seed S`, cached
under bench/out/), and one on a page that only draws a button; headless Chromium (Playwright) at 1920x1080.
A click's time runs from the click until the page shows its result (the step's heading, the action's message,
the new count on the button) and the script is idle again. Over the same span the bench reads the app server's
CPU seconds (/proc, every thread of the process), the CPU seconds of the Chromium processes (drawing the page),
and the server's SQL seconds (`CXOS_BENCH_SQL_FILE`: the statements'
time at the cursor, cxos/store/sql_timing.py). Each click's target is 2x the empty page's median rerun plus
that click's median SQL: "met" when its median is within it. Each round starts a council, walks it through the
six steps with one of each action on the way, steps back and forth once more, records a decision and closes.

    python bench/council_clicks.py [--signals 10000] [--seed 7] [--rounds 3] [--json]

Timings only; nothing is asserted. The machine may be shared: the load average before and after is printed.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.friction_log_page import demo_database  # noqa: E402
from cxos.store.sql_timing import SETTING as SQL_FILE_SETTING  # noqa: E402
from cxos.store.sql_timing import read_totals  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DEFAULT_SIGNALS = 10_000
DEFAULT_SEED = 7
DEFAULT_ROUNDS = 3
EMPTY_RUNS = 15
VIEWPORT = {"width": 1920, "height": 1080}
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
IDLE_TARGET_S = 1.5  # every click, on an idle machine
CLICK_TIMEOUT_MS = 120_000
TICK_TIMEOUT_MS = 30_000
NAME = "Priya Shah"  # a council member in data/roles.yaml
EMPTY_PAGE = 'import streamlit as st\n\nst.button("Rerun")\nst.write(st.session_state.setdefault("n", 0))\n'
EMPTY_PAGE += 'st.session_state["n"] += 1\n'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_of(pid: int | str) -> float:
    """utime + stime of one process, in seconds (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def browser_cpu_s() -> float:
    """CPU seconds so far of every Chromium process this bench started (through Playwright's driver)."""
    parents: dict[str, str] = {}
    names: dict[str, str] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                head, tail = handle.read().rsplit(")", 1)
        except OSError:
            continue
        names[pid], parents[pid] = head.split("(", 1)[1], tail.split()[1]
    ours, total = str(os.getpid()), 0.0
    for pid, name in names.items():
        if "chrom" not in name.lower():
            continue
        ancestor = parents.get(pid)
        while ancestor not in (None, "0", "1", ours):
            ancestor = parents.get(ancestor)
        if ancestor == ours:
            total += _cpu_of(pid)
    return total


class Server:
    """A running app server: its base URL, and what it has spent so far (CPU seconds, SQL seconds)."""

    def __init__(self, url: str, pid: int, sql_file: str | None):
        self.url, self.pid, self.sql_file = url, pid, sql_file

    def cpu_s(self) -> float:
        return _cpu_of(self.pid)

    def sql_s(self) -> float:
        return read_totals(self.sql_file)[0] if self.sql_file else 0.0


@contextmanager
def streamlit_app(script: Path, env: dict[str, str]) -> Iterator[Server]:
    """`streamlit run script` on a free port until the block ends."""
    port = _free_port()
    command = [common.PYTHON, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    command += [
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    server = subprocess.Popen(
        command, cwd=common.REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                time.sleep(0.25)
        yield Server(url, server.pid, env.get(SQL_FILE_SETTING))
    finally:
        server.terminate()
        server.wait(timeout=20)


def settle(page: Any) -> None:
    page.wait_for_selector(IDLE, state="attached", timeout=CLICK_TIMEOUT_MS)


Times = dict[str, list[float]]  # "wall", "cpu", "sql", "browser": one value per click


def timed(
    server: Server, page: Any, click: Callable[[], None], shown: Callable[[], None], into: Times
) -> None:
    """Seconds from the click until `shown` holds and the script is idle, and the server's CPU and SQL
    seconds meanwhile, added to `into` (nothing is added when `shown` never held)."""
    cpu, sql, browser = server.cpu_s(), server.sql_s(), browser_cpu_s()
    began = time.perf_counter()
    click()
    shown()
    settle(page)
    into["wall"].append(time.perf_counter() - began)
    into["cpu"].append(server.cpu_s() - cpu)
    into["sql"].append(server.sql_s() - sql)
    into["browser"].append(browser_cpu_s() - browser)


def new_times() -> Times:
    return {"wall": [], "cpu": [], "sql": [], "browser": []}


class Council:
    """One signed-in laptop on the council page, and the times of its clicks by name."""

    def __init__(self, page: Any, server: Server):
        from playwright.sync_api import expect

        self.page, self.server, self.expect = page, server, expect
        self.times: dict[str, Times] = defaultdict(new_times)

    def sign_in(self) -> None:
        self.page.goto(f"{self.server.url}/Council?step=1")
        self.page.get_by_label("Display name").fill(NAME)
        self.page.get_by_role("button", name="Continue").click()
        self.expect(self.heading(1)).to_be_visible(timeout=CLICK_TIMEOUT_MS)
        settle(self.page)

    def heading(self, step: int) -> Any:
        return self.page.get_by_role("heading", name=f"Step {step} of 6", exact=False)

    def flash(self, text: str) -> Any:
        return self.page.get_by_test_id("stAlert").filter(has_text=text)

    def click(self, name: str, button: str, shown: Any, *, exact: bool = True) -> None:
        target = self.page.get_by_role("button", name=button, exact=exact).first
        timed(
            self.server,
            self.page,
            target.click,
            lambda: self.expect(shown).to_be_visible(timeout=CLICK_TIMEOUT_MS),
            self.times[name],
        )

    def step(self, direction: str, to: int) -> None:
        self.click(
            f"step change ({direction})", "Next →" if direction == "next" else "← Back", self.heading(to)
        )

    def round(self, number: int) -> None:
        page = self.page
        self.click("start the council", "Start this week's council", self.flash("The council is open."))
        self.step("next", 2)
        self._tick_one_row()
        accept = page.get_by_role("button", name="Accept for", exact=False)
        if accept.is_enabled():
            self.click("triage: accept suggestions", "Accept for", self.flash("done for"), exact=False)
        self.step("next", 3)
        page.get_by_label("Upstream cause, in words").last.fill(f"Round {number}: nobody owns the handoff")
        self.click("save the cause", "Save the cause", self.flash("Saved the cause"))
        page.get_by_label("Planned fix").last.fill(f"Bench fix {number}")
        self.click("plan a fix", "Plan the fix", self.flash(f"Planned “Bench fix {number}”"))
        self._pick_another_failure_mode(number)
        self.step("next", 4)
        page.get_by_label("The owner's update").fill(f"Round {number}: on track")
        self.click("record a fix update", "Record", self.flash("Recorded the update"))
        self.step("next", 5)
        if page.get_by_role("button", name="Draft notices").count():
            self.click("draft notices", "Draft notices", self.flash("Drafted the notices"))
        self.step("next", 6)
        for back in (5, 4, 3, 2, 1):
            self.step("back", back)
        for forward in (2, 3, 4, 5, 6):
            self.step("next", forward)
        page.get_by_label("Decision or action").fill(f"Bench decision {number}")
        page.get_by_label("Owner (a person or team)").fill("Support ops")
        self.click("record a decision", "Record", self.flash("Action recorded."))
        self.click("save minutes and close", "Save minutes and close", self.flash("Minutes saved"))
        self.step("back", 5)  # the next round starts on step 1 again
        for back in (4, 3, 2, 1):
            self.step("back", back)

    def _tick_one_row(self) -> None:
        """Untick (or tick) the first row of the triage table: its checkbox is drawn on the grid's canvas."""
        button = self.page.get_by_role("button", name="Accept for", exact=False)
        before = button.inner_text()
        grid = self.page.get_by_test_id("stDataFrame").first
        grid.hover()  # the grid draws its checkboxes once the pointer is over it
        try:
            timed(
                self.server,
                self.page,
                lambda: grid.click(position={"x": 14, "y": 35 + 17}),  # the first row's checkbox
                lambda: self.expect(button).not_to_have_text(before, timeout=TICK_TIMEOUT_MS),
                self.times["triage: tick a row"],
            )
        except AssertionError:  # the canvas missed the click: say so rather than time something else
            common.log("council clicks: a tick on the triage table did not register; not counted")

    def _pick_another_failure_mode(self, number: int) -> None:
        """Pick another failure mode to discuss: its cause form replaces the one on screen."""
        # While the step redraws, the old cause form is still drawn (faded) beside the new one: the last is new.
        cause = self.page.get_by_label("Upstream cause, in words").last
        before = cause.input_value()
        self.page.get_by_role("combobox", name="Discuss").click()
        option = self.page.get_by_role("option").nth(number % 3 + 1)
        timed(
            self.server,
            self.page,
            option.click,
            lambda: self.expect(cause).not_to_have_value(before, timeout=CLICK_TIMEOUT_MS),
            self.times["failure modes: pick one to discuss"],
        )


def empty_page_reruns(browser: Any, server: Server, runs: int) -> Times:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(server.url)
    settle(page)
    times = new_times()
    for n in range(runs):
        counter = page.get_by_text(str(n + 1), exact=True)
        timed(
            server,
            page,
            page.get_by_role("button", name="Rerun").click,
            lambda counter=counter: expect(counter).to_be_visible(timeout=CLICK_TIMEOUT_MS),
            times,
        )
    context.close()
    return times


def run(*, signals: int, seed: int, rounds: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    database = demo_database(signals, seed)
    load_before = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="cxos_clicks_") as directory:
        copy = Path(directory) / "council.db"
        shutil.copy(database["path"], copy)
        empty = Path(directory) / "empty_page.py"
        empty.write_text(EMPTY_PAGE, encoding="utf-8")
        env = os.environ | {"CXOS_DATABASE_URL": f"sqlite:///{copy}"}
        env.pop("CXOS_LOCAL_USER", None)
        env.pop(SQL_FILE_SETTING, None)
        app_env = env | {SQL_FILE_SETTING: str(Path(directory) / "sql_seconds")}
        with streamlit_app(common.REPO_ROOT / "app.py", app_env) as app, streamlit_app(empty, env) as bare:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )
                common.log("council clicks: the empty page…")
                empty_times = empty_page_reruns(browser, bare, EMPTY_RUNS)
                context = browser.new_context(viewport=VIEWPORT)
                council = Council(context.new_page(), app)
                council.sign_in()
                for number in range(1, rounds + 1):
                    common.log(f"council clicks: round {number} of {rounds}…")
                    council.round(number)
                browser.close()
    return {
        "benchmark": "council_clicks",
        "signals": signals,
        "seed": seed,
        "rounds": rounds,
        "load_average_before": load_before,
        "load_average_after": list(os.getloadavg()),
        "empty_page": _summary(empty_times),
        "clicks": {name: _summary(times) for name, times in council.times.items()},
    }


def _summary(times: Times) -> dict[str, Any]:
    wall = times["wall"]
    return {
        "n": len(wall),
        "median_s": common.median(wall),
        "p95_s": common.percentile(wall, 95),
        "cpu_median_s": common.median(times["cpu"]),
        "sql_median_s": common.median(times["sql"]),
        "browser_cpu_median_s": common.median(times["browser"]),
        "runs_s": wall,
        "cpu_s": times["cpu"],
        "sql_s": times["sql"],
        "browser_cpu_s": times["browser"],
    }


def render(result: dict[str, Any]) -> str:
    empty = result["empty_page"]
    rows = [["empty page rerun", empty["n"], empty["median_s"], empty["p95_s"], empty["cpu_median_s"]]]
    rows[0] += [empty["browser_cpu_median_s"]]
    rows[0] += ["–", "–", "–", "–"]
    for name, summary in result["clicks"].items():
        if not summary["n"]:
            rows.append([name, 0, "–", "–", "–", "–", "–", "–", "not measured", "–"])
            continue
        target = 2 * empty["median_s"] + summary["sql_median_s"]
        verdict = "met" if summary["median_s"] <= target else "missed"
        rows.append(
            [name, summary["n"], summary["median_s"], summary["p95_s"], summary["cpu_median_s"]]
            + [summary["browser_cpu_median_s"]]
            + [summary["sql_median_s"], target, verdict, "yes" if summary["p95_s"] <= IDLE_TARGET_S else "no"]
        )
    load = " / ".join(
        " ".join(f"{x:.2f}" for x in result[key]) for key in ("load_average_before", "load_average_after")
    )
    return common.format_table(
        [
            "click",
            "n",
            "median s",
            "p95 s",
            "server cpu s",
            "browser cpu s",
            "sql s",
            "target s",
            "target",
            "p95 <= 1.5 s",
        ],
        [[cell if not isinstance(cell, float) else common.fmt(cell) for cell in row] for row in rows],
        title=(
            f"Council clicks in Chromium, {result['signals']:,}-signal demo (seed {result['seed']}), "
            f"{result['rounds']} rounds; load average before / after: {load}"
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signals", type=int, default=DEFAULT_SIGNALS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a stopped run still stops its two servers
    result = run(signals=args.signals, seed=args.seed, rounds=args.rounds)
    result["machine"] = common.machine_info()
    if not args.json:
        print(common.render_machine(result["machine"]))
    common.emit(result, as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    sys.exit(main())
