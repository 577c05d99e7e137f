"""The app in a real browser: home, logging friction, finding it in the log, its timeline, safe titles."""

import os
import re
import uuid
from pathlib import Path

import pytest

from .conftest import skip_module_without_browser

skip_module_without_browser()
pytestmark = pytest.mark.e2e

APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SETTLE_MS = 250
XSS_TITLE = "<img src=x onerror=alert(1)>"
LOCAL_USER = "Priya Shah"  # data/roles.yaml makes this name a council member


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def wait_for_app(page) -> None:
    """Wait until the script run an action started has finished, then let the page settle."""
    page.wait_for_timeout(SETTLE_MS)  # the click's rerun may not have flipped the state to running yet
    page.wait_for_selector(APP_IDLE, state="attached")
    page.wait_for_timeout(SETTLE_MS)


def open_signed_in(page, path: str) -> None:
    """Load a URL (a new Streamlit session) and give the display name when the app asks for it."""
    page.goto(path)
    wait_for_app(page)
    name = page.get_by_label("Display name")
    name.or_(page.get_by_test_id("stSidebar")).first.wait_for()  # the sidebar is drawn only once signed in
    if name.count():
        name.fill(LOCAL_USER)
        page.get_by_role("button", name="Continue").click()
        wait_for_app(page)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"{LOCAL_USER} · council")


def open_on_the_shared_screen(page, path: str, first_heading: re.Pattern) -> None:
    """Load a presentation-mode URL, which has no sidebar to wait for, and give the display name if asked."""
    page.goto(path)
    wait_for_app(page)
    name = page.get_by_label("Display name")
    name.or_(page.get_by_role("heading", name=first_heading)).first.wait_for()
    if name.count():
        name.fill(LOCAL_USER)
        page.get_by_role("button", name="Continue").click()
        wait_for_app(page)


def save_screenshot(page, name: str) -> None:
    """A full-page 1920-wide screenshot into $CXOS_SCREENSHOT_DIR, for people to look at."""
    folder = os.environ.get("CXOS_SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    # The app scrolls inside its main section, not the document: grow the window until the content fits.
    viewport = page.viewport_size
    height = viewport["height"]
    for _ in range(6):  # charts and tables settle their height after they are drawn
        page.wait_for_timeout(400)
        content = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
        if content <= height:
            break
        height = content
        page.set_viewport_size({"width": viewport["width"], "height": height})
    page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
    page.set_viewport_size(viewport)


def select_option(page, label: str, typed: str) -> None:
    """Pick from a Streamlit selectbox the way a person does: click it, type, press Enter."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.keyboard.type(typed)
    expect(page.get_by_role("option").first).to_contain_text(typed)
    page.keyboard.press("Enter")


def log_friction(page, title: str, touchpoint: str = "Data import", source: str = "Slack") -> int:
    """Fill the quick-entry form and submit it; returns the id from the confirmation."""
    open_signed_in(page, "/Log_friction")
    page.get_by_label("What happened? (required)").fill(title)
    select_option(page, "Where in the journey?", touchpoint)
    select_option(page, "Source (required)", source)
    page.get_by_role("button", name="Log friction", exact=True).click()
    wait_for_app(page)
    confirmation = page.get_by_test_id("stAlert").filter(has_text="Logged as signal #")
    expect(confirmation).to_be_visible()
    return int(re.search(r"Logged as signal #(\d+)", confirmation.inner_text()).group(1))


def no_exception(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_home_shows_this_week(page):
    """The home page shows this week at a glance with its four KPIs and no error."""
    open_signed_in(page, "/")
    expect(page.get_by_role("heading", name="This week at a glance")).to_be_visible()
    metrics = page.get_by_test_id("stMetric")
    for kpi in ("New signals", "In triage", "Open signals", "Signals fixed", "Fixes shipped"):
        expect(metrics.filter(has_text=kpi)).to_be_visible()
    no_exception(page)
    save_screenshot(page, "home")


def test_log_friction_then_find_it_in_the_log_and_open_its_timeline(page):
    """A signal logged through the form is confirmed, opens with its timeline, and is found by search."""
    title = f"E2E export button greyed out {uuid.uuid4().hex[:8]}"
    signal_id = log_friction(page, title)
    no_exception(page)
    save_screenshot(page, "log_friction")

    page.get_by_role("link", name=f"Open signal #{signal_id}").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=f"#{signal_id} · {title}")).to_be_visible()
    expect(page.get_by_text("Where: Onboard › Data import")).to_be_visible()
    expect(page.get_by_text("Source: Slack")).to_be_visible()
    timeline = (
        page.get_by_test_id("stVerticalBlock")
        .filter(has=page.get_by_role("heading", name=re.compile(r"^Timeline")))
        .last
    )
    expect(timeline).to_contain_text(f"{LOCAL_USER} · logged it")
    no_exception(page)
    save_screenshot(page, "signal_detail")

    page.get_by_role("button", name="← Back to the log").click()
    wait_for_app(page)
    search = page.get_by_role("textbox", name="Search")
    search.fill(title)
    search.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"^1 signal matches"))).to_be_visible()
    grid = page.get_by_test_id("stDataFrame")  # glide's accessible table mirrors the canvas cells
    expect(grid.locator("tbody [role=row]")).to_have_count(1)
    expect(grid.locator("[role=gridcell]").filter(has_text=title)).to_have_count(1)
    no_exception(page)


def test_prefill_from_query_params(page):
    """`?source=slack&touchpoint=Data import` opens the form with both answers already picked."""
    open_signed_in(page, "/Log_friction?source=slack&touchpoint=Data%20import")
    where = page.get_by_role("combobox", name="Where in the journey? (required)")
    expect(where).to_have_value(re.compile(r" › Data import$"))
    expect(page.get_by_role("combobox", name="Source (required)")).to_have_value("Slack")
    expect(page.get_by_text("Left out of the link")).to_have_count(0)
    no_exception(page)


def test_html_in_title_is_plain_text(page, dialogs):
    """A title that looks like HTML is shown as the literal text: no image element, no script run."""
    signal_id = log_friction(page, XSS_TITLE)
    expect(page.get_by_test_id("stAlert").filter(has_text=f"Logged as signal #{signal_id}")).to_contain_text(
        XSS_TITLE
    )

    page.get_by_role("link", name=f"Open signal #{signal_id}").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=f"#{signal_id} · {XSS_TITLE}")).to_be_visible()
    expect(page.locator("img[src='x']")).to_have_count(0)
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert dialogs == [], f"the page opened a dialog: {dialogs}"


def test_deep_link_opens_signal(page):
    """`/Friction_log?signal=1` opens signal #1 straight away, after sign-in."""
    open_signed_in(page, "/Friction_log?signal=1")
    expect(page.get_by_role("heading", name=re.compile(r"^#1 · "))).to_be_visible()
    no_exception(page)


def test_friction_log_lists_the_demo_signals(page):
    """The friction log shows every demo signal, newest first, paged by 50."""
    open_signed_in(page, "/Friction_log")
    expect(page.get_by_text(re.compile(r"^\d[\d,]* signals match"))).to_be_visible()
    expect(page.get_by_text("page 1 of")).to_be_visible()
    no_exception(page)
    save_screenshot(page, "friction_log")


def test_journey_map_shows_live_friction_and_opens_a_touchpoints_signals(page):
    """The journey map draws every stage at 1920x1080 and a card opens its touchpoint's signals."""
    open_signed_in(page, "/Journey")
    no_exception(page)
    expect(page.get_by_role("heading", name="Customer journey")).to_be_visible()
    for stage in ("Handoff", "Onboard", "Adopt", "Get help", "Renew & expand", "Advocate"):
        expect(page.get_by_role("heading", name=stage, exact=True)).to_be_visible()
    save_screenshot(page, "journey")
    page.get_by_role("link", name="Open its signals").first.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Friction log")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d[\d,]* signals? match"))).to_be_visible()
    assert "touchpoint=" in page.url


def test_clicking_a_heatmap_cell_shows_the_signals_behind_it(page):
    """A click on a stage x week cell lists its signals and links to the filtered log."""
    open_signed_in(page, "/Heatmaps?view=stage_week&days=90")
    no_exception(page)
    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart).to_be_visible()
    page.wait_for_timeout(800)  # let Vega finish drawing before clicking a mark
    box = chart.locator("canvas, svg").first.bounding_box()
    # The last week column of the third stage: right-hand side of the plot, a third of the way down.
    page.mouse.click(box["x"] + box["width"] * 0.78, box["y"] + box["height"] * 0.30)
    wait_for_app(page)
    drill = page.get_by_role("link", name="Open these signals in the friction log")
    expect(drill).to_be_visible()
    expect(page.get_by_text(re.compile(r"The newest 20"))).to_be_visible()
    save_screenshot(page, "heatmap")


COUNCIL_STEPS = [
    "Pulse",
    "Triage",
    "Recurring failure modes",
    "Fixes in flight",
    "Close the loop",
    "Decisions and minutes",
]


def test_the_council_walks_through_every_step_in_presentation_mode(page):
    """On the shared screen: no sidebar, each step at 1920x1080 with its time box; Next moves the step in the URL."""
    open_on_the_shared_screen(page, "/Council?present=1&step=1", re.compile(r"^Step 1 of 6"))
    for number, title in enumerate(COUNCIL_STEPS, 1):
        expect(page.get_by_role("heading", name=f"Step {number} of 6 · {title}")).to_be_visible()
        expect(page.get_by_text(re.compile(r"^Time box: \d+:\d\d of \d+:00"))).to_be_visible()
        expect(page.get_by_test_id("stSidebar")).to_have_count(0)
        no_exception(page)
        save_screenshot(page, f"council_step_{number}")
        if number < len(COUNCIL_STEPS):
            page.get_by_role("button", name="Next →").click()
            wait_for_app(page)
            page.wait_for_url(re.compile(rf"step={number + 1}"))


def test_kpi_page_shows_every_kpi_with_its_definition(page):
    """Managers' KPIs at 1920 wide: each tile with its definition, the weekly charts and the recurrence table."""
    open_signed_in(page, "/KPIs")
    for name in (
        "Routing accuracy",
        "Loop-closure rate",
        "Recurrence reduction",
        "Cost saved",
        "OS fit score (now)",
    ):
        expect(page.get_by_test_id("stMetricLabel").filter(has_text=name)).to_be_visible()
    expect(page.get_by_text("Gartner, 2019").first).to_be_attached()
    expect(page.get_by_text("materially less").first).to_be_visible()
    no_exception(page)
    save_screenshot(page, "kpis")
