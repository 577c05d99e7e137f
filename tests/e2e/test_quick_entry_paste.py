"""Pasting a long text into the quick-entry form in a real browser: kept, flagged, then logged with the rest in
the details (the widget's character limit used to drop the whole paste and leave the field empty)."""

import re

import pytest

from .conftest import skip_module_without_browser
from .test_browser import expect, no_exception, open_signed_in, select_option, wait_for_app

skip_module_without_browser()
pytestmark = pytest.mark.e2e

PASTED = ("Okta users vanish after the SCIM sync and come back after a manual resync " * 6)[:412]


def test_a_pasted_title_over_200_characters_is_kept_flagged_and_logged_with_the_rest_in_the_details(page):
    """412 characters pasted: the field keeps them, the form says where the rest goes, the second submit logs."""
    open_signed_in(page, "/Log_friction")
    title = page.get_by_label("What happened? (required)")
    title.focus()
    page.keyboard.insert_text(PASTED)  # what a paste does: one input event with all the text
    select_option(page, "Where in the journey?", "Data import")
    select_option(page, "Source (required)", "Slack")
    page.get_by_role("button", name="Log friction", exact=True).click()
    wait_for_app(page)
    expect(
        page.get_by_text("412 of 200 characters; the rest goes into the details", exact=False)
    ).to_be_visible()
    expect(title).to_have_value(PASTED)
    page.get_by_role("button", name="Log friction", exact=True).click()
    wait_for_app(page)
    confirmation = page.get_by_test_id("stAlert").filter(has_text="Logged as signal #")
    expect(confirmation).to_be_visible()
    signal_id = re.search(r"Logged as signal #(\d+)", confirmation.inner_text()).group(1)
    page.get_by_role("link", name=f"Open signal #{signal_id}").click()
    wait_for_app(page)
    expect(page.get_by_text(PASTED[-60:], exact=False).first).to_be_visible()  # the end of it, in the details
    no_exception(page)
