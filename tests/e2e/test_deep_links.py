"""Every address a person can bookmark or share: each page's URL, the README's deep links, every sidebar link."""

import re

import pytest

from components.common import pages

from .conftest import skip_module_without_browser
from .test_browser import (
    expect,
    no_exception,
    open_on_the_shared_screen,
    open_signed_in,
    save_screenshot,
    wait_for_app,
)

skip_module_without_browser()
pytestmark = pytest.mark.e2e

# The heading a person sees first on each page (st.title), which is not always the sidebar's label.
HEADINGS = {
    pages.HOME: "This week at a glance",
    pages.LOG_FRICTION: "Log a friction point",
    pages.FRICTION_LOG: "Friction log",
    pages.IMPORT: "Import signals",
    pages.JOURNEY: "Customer journey",
    pages.HEATMAPS: "Friction heatmaps",
    pages.ROUTING_RULES: "Routing rules",
    pages.FAILURE_MODES: "Failure modes",
    pages.HANDOFFS: "Handoffs & black holes",
    pages.ROUTING_MODEL: "Routing model",
    pages.FIXES_AND_LOOPS: "Fixes & loops",
    pages.KPIS: "KPIs",
    pages.FIT_SCORE: "OS fit score",
    pages.COUNCIL: "Experience Council",
    pages.INTEGRATIONS: "Integrations",
}

# The deep links the README documents (and the ones the app itself hands out), with what each must open.
# Literal addresses on purpose: a bookmark made before any rename must keep working.
DEEP_LINKS = [
    (
        "/Log_friction?source=slack&touchpoint=Data%20import&title=Export%20greyed%20out",
        "Log a friction point",
    ),
    ("/Friction_log?signal=1", re.compile(r"^#1 · ")),
    ("/Friction_log?team=none&status=new,needs_info", "Friction log"),  # the home page's triage link
    (
        "/Friction_log?q=import&status=new,routed&source=slack,ticket&stage=2&touchpoint=2"
        "&component=onboarding&team=2&since=2026-06-01&until=2026-12-01",
        "Friction log",
    ),
    ("/Journey?days=90", "Customer journey"),
    ("/Heatmaps?view=stage_week&weight=arr&days=182&team=2", "Friction heatmaps"),
    ("/Failure_modes?failure_mode=1", "SCIM provisioning skips users on alias domains"),
    ("/Council?step=1", "Step 1 of 6 · Pulse"),
    ("/Council?step=4", "Step 4 of 6 · Fixes in flight"),
    ("/Council?step=6", "Step 6 of 6 · Decisions and minutes"),
]


def expect_heading(page, name) -> None:
    """The page shows this heading (a string is matched exactly, a pattern as given)."""
    expect(page.get_by_role("heading", name=name, exact=isinstance(name, str)).first).to_be_visible()


@pytest.mark.parametrize("target", pages.PAGES, ids=lambda p: p.url_path)
def test_every_page_opens_at_its_address(page, target):
    """Typing a page's address opens that page, after sign-in, with its heading and no exception."""
    open_signed_in(page, target.url_path)
    expect_heading(page, HEADINGS[target])
    no_exception(page)


@pytest.mark.parametrize(("address", "heading"), DEEP_LINKS, ids=[a for a, _ in DEEP_LINKS])
def test_every_documented_deep_link_opens_its_page(page, address, heading):
    """A shared or bookmarked link opens the page it names, in the state it names, without an exception."""
    open_signed_in(page, address)
    expect_heading(page, heading)
    no_exception(page)


def test_a_prefill_link_fills_the_form(page):
    """`/Log_friction?…&title=…` opens the form with the title typed in, not only the pickers chosen."""
    open_signed_in(page, "/Log_friction?source=slack&touchpoint=Data%20import&title=Export%20greyed%20out")
    expect(page.get_by_label("What happened? (required)")).to_have_value("Export greyed out")
    expect(page.get_by_role("combobox", name="Source (required)")).to_have_value("Slack")


def test_the_log_filter_link_fills_the_filters(page):
    """The log's filters come from its link: the search text and the triage owner are already set."""
    open_signed_in(page, "/Friction_log?q=import&team=none")
    expect(page.get_by_role("textbox", name="Search")).to_have_value("import")
    expect(page.get_by_test_id("stMultiSelect").filter(has_text="Owner")).to_contain_text("no owner (triage)")
    expect(page.get_by_text(re.compile(r"^\d[\d,]* signals? match"))).to_be_visible()


def test_the_presentation_link_opens_the_room_screen(page):
    """`/Council?present=1&step=2` opens step 2 on the shared screen: no sidebar, no exception."""
    open_on_the_shared_screen(page, "/Council?present=1&step=2", re.compile(r"^Step 2 of 6"))
    expect_heading(page, "Step 2 of 6 · Triage")
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)
    no_exception(page)


def test_every_sidebar_link_opens_its_page(page):
    """From the home page, each link in the sidebar opens its page at its own address, in the loop's order."""
    open_signed_in(page, "/")
    sidebar = page.get_by_test_id("stSidebar")
    for section in ("Listen", "Understand", "Act", "Amplify", "Council"):
        expect(sidebar.get_by_text(section, exact=True)).to_be_visible()
    save_screenshot(page, "sidebar")
    for target in [*pages.PAGES[1:], pages.HOME]:  # home last: it is where the walk started
        sidebar.get_by_role("link", name=re.compile(rf"{re.escape(target.title)}$")).click()
        wait_for_app(page)
        expect_heading(page, HEADINGS[target])
        no_exception(page)
        assert page.url.split("?")[0].endswith(target.url_path), (target.title, page.url)


def test_a_hostile_link_opens_the_page_with_a_note_instead_of_an_error(page):
    """`?signal=99999999999999999999&stage=²` used to raise on the page; the parts are left out, and said so."""
    open_signed_in(page, "/Friction_log?signal=99999999999999999999&stage=%C2%B2&team=%C2%B2")
    expect_heading(page, "Friction log")
    expect(page.get_by_text("Left out of the link: Signal")).to_be_visible()
    expect(page.get_by_text("Left out of the link: Stage")).to_be_visible()
    no_exception(page)


def test_a_heatmap_cell_opens_the_same_signals_in_the_log(page):
    """The cell's "Open these signals in the friction log" keeps its since/until: the log counts what the cell does."""
    open_signed_in(page, "/Heatmaps?view=stage_component&days=182&cell=Onboard|Onboarding%20%26%20Activation")
    heading = page.get_by_role(
        "heading", name=re.compile(r"^Onboarding & Activation · Onboard · \d+ signals?$")
    )
    expect(heading).to_be_visible()
    cell_count = re.search(r"· (\d[\d,]*) signals?$", heading.inner_text()).group(1)
    page.get_by_role("link", name="Open these signals in the friction log").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(rf"^{cell_count} signals? match"))).to_be_visible()
    assert "since=" in page.url and "until=" in page.url, page.url
    no_exception(page)
