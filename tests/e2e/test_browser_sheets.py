"""The app in a real browser with its data in a Google Sheet (the offline fake): a logged signal lands in the
sheet; with the sheet unreachable, pages read the copy under a banner and a new signal waits, then is sent."""

import json
import uuid

import pytest

from .conftest import skip_module_without_browser
from .test_browser import expect, log_friction, no_exception, open_signed_in, save_screenshot, wait_for_app

skip_module_without_browser()
pytestmark = pytest.mark.e2e


def sheet_titles(sheet_file) -> list[str]:
    """Signal titles as the sheet itself holds them (the fake keeps its spreadsheets in this JSON file)."""
    worksheets = {ws["title"]: ws["rows"] for ws in json.loads(sheet_file.read_text())["e2e"]}
    header, *rows = worksheets["signal"]
    column = header.index("title")
    return [row[column] for row in rows if len(row) > column]


def test_a_signal_logged_on_a_sheet_backed_app_lands_in_the_sheet(sheets_page, sheets_app):
    """Logging friction writes a row to the sheet; the sidebar says where the data lives."""
    title = f"E2E sheet-backed signal {uuid.uuid4().hex[:8]}"
    log_friction(sheets_page, title)
    expect(sheets_page.get_by_test_id("stSidebar")).to_contain_text("Data: Google Sheets · read")
    expect(sheets_page.get_by_text("can't be reached")).to_have_count(0)
    assert title in sheet_titles(sheets_app["sheet_file"])
    no_exception(sheets_page)


def test_offline_the_log_stays_readable_and_a_new_signal_waits_then_is_sent(sheets_page, sheets_app):
    """Sheet unreachable: banner, the log from the copy, a queued signal; back online: Send now delivers it."""
    sheets_app["offline_file"].touch()
    try:
        open_signed_in(sheets_page, "/Friction_log")
        expect(sheets_page.get_by_text("Google Sheets can't be reached")).to_be_visible()
        expect(
            sheets_page.get_by_test_id("stDataFrame").or_(sheets_page.get_by_test_id("stTable")).first
        ).to_be_visible()
        no_exception(sheets_page)
        save_screenshot(sheets_page, "sheets_offline_friction_log")

        title = f"E2E logged while the sheet is away {uuid.uuid4().hex[:8]}"
        log_friction(sheets_page, title)
        expect(sheets_page.get_by_text("queued for Google Sheets").first).to_be_visible()
        assert title not in sheet_titles(sheets_app["sheet_file"])
        save_screenshot(sheets_page, "sheets_offline_queued")
    finally:
        sheets_app["offline_file"].unlink(missing_ok=True)

    sheets_page.get_by_role("button", name="Send now").click()
    wait_for_app(sheets_page)
    assert title in sheet_titles(sheets_app["sheet_file"])
    expect(sheets_page.get_by_text("can't be reached")).to_have_count(0)
    no_exception(sheets_page)
