"""Council clicks in a real browser on the 10k demo: how long each step change and council action takes to
settle, beside an empty page's rerun measured in the same run, with the load average.

One `streamlit run app.py` on a copy of the demo database (`python -m cxos demo --signals N --seed S`, cached
under bench/out/), and one on a page that only draws a button; headless Chromium (Playwright) at 1920x1080.
A click's time runs from the click until the page shows its result (the step's heading, the action's message,
the new count on the button) and the script is idle again. Each round starts a council, walks it through the
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

DEFAULT_SIGNALS = 10_000
DEFAULT_SEED = 7
DEFAULT_ROUNDS = 3
EMPTY_RUNS = 15
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1920, "height": 1080}
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CLICK_TIMEOUT_MS = 120_000
TICK_TIMEOUT_MS = 30_000
NAME = "Priya Shah"  # a council member in data/roles.yaml
EMPTY_PAGE = 'import streamlit as st\n\nst.button("Rerun")\nst.write(st.session_state.setdefault("n", 0))\n'
EMPTY_PAGE += 'st.session_state["n"] += 1\n'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def streamlit_app(script: Path, env: dict[str, str]) -> Iterator[str]:
    """`streamlit run script` on a free port until the block ends; its base URL."""
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
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def settle(page: Any) -> None:
    page.wait_for_selector(IDLE, state="attached", timeout=CLICK_TIMEOUT_MS)


def timed(page: Any, click: Callable[[], None], shown: Callable[[], None]) -> float:
    """Seconds from the click until `shown` holds and the script is idle."""
    began = time.perf_counter()
    click()
    shown()
    settle(page)
    return time.perf_counter() - began


class Council:
    """One signed-in laptop on the council page, and the times of its clicks by name."""

    def __init__(self, page: Any, url: str):
        from playwright.sync_api import expect

        self.page, self.url, self.expect = page, url, expect
        self.times: dict[str, list[float]] = defaultdict(list)

    def sign_in(self) -> None:
        self.page.goto(f"{self.url}/Council?step=1")
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
        seconds = timed(
            self.page, target.click, lambda: self.expect(shown).to_be_visible(timeout=CLICK_TIMEOUT_MS)
        )
        self.times[name].append(seconds)

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
            seconds = timed(
                self.page,
                lambda: grid.click(position={"x": 14, "y": 35 + 17}),  # the first row's checkbox
                lambda: self.expect(button).not_to_have_text(before, timeout=TICK_TIMEOUT_MS),
            )
        except AssertionError:  # the canvas missed the click: say so rather than time something else
            common.log("council clicks: a tick on the triage table did not register; not counted")
            return
        self.times["triage: tick a row"].append(seconds)

    def _pick_another_failure_mode(self, number: int) -> None:
        """Pick another failure mode to discuss: its cause form replaces the one on screen."""
        # While the step redraws, the old cause form is still drawn (faded) beside the new one: the last is new.
        cause = self.page.get_by_label("Upstream cause, in words").last
        before = cause.input_value()
        self.page.get_by_role("combobox", name="Discuss").click()
        option = self.page.get_by_role("option").nth(number % 3 + 1)
        seconds = timed(
            self.page,
            option.click,
            lambda: self.expect(cause).not_to_have_value(before, timeout=CLICK_TIMEOUT_MS),
        )
        self.times["failure modes: pick one to discuss"].append(seconds)


def empty_page_reruns(browser: Any, url: str, runs: int) -> list[float]:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    settle(page)
    times = []
    for n in range(runs):
        counter = page.get_by_text(str(n + 1), exact=True)
        times.append(
            timed(
                page,
                page.get_by_role("button", name="Rerun").click,
                lambda counter=counter: expect(counter).to_be_visible(timeout=CLICK_TIMEOUT_MS),
            )
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
        with streamlit_app(common.REPO_ROOT / "app.py", env) as app, streamlit_app(empty, env) as bare:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
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


def _summary(times: list[float]) -> dict[str, Any]:
    return {
        "n": len(times),
        "median_s": common.median(times),
        "p95_s": common.percentile(times, 95),
        "runs_s": times,
    }


def render(result: dict[str, Any]) -> str:
    empty = result["empty_page"]["median_s"]
    rows = [["empty page rerun", result["empty_page"]["n"], empty, result["empty_page"]["p95_s"], "1.0x"]]
    for name, summary in result["clicks"].items():
        ratio = common.fmt_ratio(common.ratio(summary["median_s"], empty))
        rows.append([name, summary["n"], summary["median_s"], summary["p95_s"], ratio])
    load = " / ".join(
        " ".join(f"{x:.2f}" for x in result[key]) for key in ("load_average_before", "load_average_after")
    )
    return common.format_table(
        ["click", "n", "median s", "p95 s", "median / empty"],
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
