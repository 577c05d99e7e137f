"""Hostile text in a real browser: no request leaves for another host, the grid offers only a formula-safe CSV."""

import csv
import io
from urllib.parse import urlparse

import pytest

from components.common import pages

from .conftest import skip_module_without_browser
from .test_browser import expect, log_friction, no_exception, open_signed_in, save_screenshot, wait_for_app

skip_module_without_browser()
pytestmark = pytest.mark.e2e

PIXEL = "http://tracker.invalid/p.png"
HOSTILE_TITLE = f'=HYPERLINK("{PIXEL}","open") ![px]({PIXEL}) [click](javascript:alert(1))'


def _record_requests_elsewhere(page) -> list[str]:
    """Every URL the tab requests from a host other than the app's own."""
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            urlparse(request.url).hostname not in ("127.0.0.1", None) and elsewhere.append(request.url)
        ),
    )
    return elsewhere


def test_a_display_name_carrying_an_image_is_shown_as_text_on_every_page(page, dialogs):
    """Someone signing in as a Markdown image (a tracking pixel) sees their name as text; nothing is fetched."""
    elsewhere = _record_requests_elsewhere(page)
    name = f"![px]({PIXEL}) <img src={PIXEL}>"
    for entry in pages.PAGES:
        page.goto(entry.url_path)
        wait_for_app(page)
        field = page.get_by_label("Display name")
        field.or_(page.get_by_test_id("stSidebar")).first.wait_for()
        if field.count():
            field.fill(name)
            page.get_by_role("button", name="Continue").click()
            wait_for_app(page)
        no_exception(page)
        if entry == pages.IMPORT:
            shown = f"Importing needs the council role; {name} has the contributor role."
            expect(page.get_by_text(shown)).to_be_visible()
    assert elsewhere == [], f"requests left for other hosts: {elsewhere}"
    assert dialogs == []


def test_hostile_text_on_every_page_requests_nothing_from_another_host(page, dialogs):
    """A title carrying a Markdown image and link is shown as text: no page fetches the tracking pixel."""
    elsewhere = _record_requests_elsewhere(page)
    signal_id = log_friction(page, HOSTILE_TITLE)
    for entry in pages.PAGES:
        open_signed_in(page, entry.url_path)
        no_exception(page)
    open_signed_in(page, f"/Friction_log?signal={signal_id}")
    expect(page.get_by_role("heading", name=f"#{signal_id} · {HOSTILE_TITLE}")).to_be_visible()
    expect(page.locator(f"img[src='{PIXEL}']")).to_have_count(0)
    assert elsewhere == [], f"requests left for other hosts: {elsewhere}"
    assert dialogs == []


def test_the_friction_log_grid_downloads_only_a_formula_safe_csv(page):
    """The grid's own "Download as CSV" is gone; the page's CSV keeps a typed formula as text."""
    log_friction(page, HOSTILE_TITLE)
    open_signed_in(page, "/Friction_log")
    grid = page.get_by_test_id("stDataFrame").first
    grid.hover()
    page.wait_for_timeout(300)
    expect(page.get_by_role("button", name="Download as CSV")).to_have_count(0)
    save_screenshot(page, "friction_log_formula_safe_csv")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download these rows (CSV)").click()
    wait_for_app(page)
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    hostile = [row for row in rows if HOSTILE_TITLE in row["What happened"]]
    assert hostile and all(row["What happened"] == "'" + HOSTILE_TITLE for row in hostile)
