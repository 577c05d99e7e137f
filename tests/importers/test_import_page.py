"""The import wizard page: upload, preview, mapping guessed from the profile, dry run, import, report."""

from pathlib import Path

from sqlmodel import select

from components.common import pages
from cxos.importers.unplaced import count_unplaced
from cxos.models import Signal
from cxos.store.store import Store
from tests.test_pages import open_page

PAGE = pages.IMPORT.path
ZENDESK = (Path(__file__).parent.parent / "fixtures" / "imports" / "zendesk_tickets.csv").read_bytes()


def uploaded(demo_db, data: bytes = ZENDESK, name: str = "zendesk_tickets.csv"):
    at = open_page(PAGE)
    at.file_uploader[0].upload(name, data, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def imported_refs(url: str) -> list[str]:
    store = Store(url)
    try:
        with store.read() as session:
            return list(
                session.exec(
                    select(Signal.external_ref).where(Signal.external_ref.like("ZD-%")).order_by(Signal.id)
                )
            )
    finally:
        store.dispose()


def test_an_upload_shows_a_preview_and_picks_the_zendesk_profile(demo_db):
    at = uploaded(demo_db)
    assert at.selectbox(key="import_profile").value == "Zendesk tickets"
    assert at.selectbox(key="import_map_Zendesk tickets_title").value == "Subject"
    assert len(at.dataframe[0].value) == 5


def test_a_dry_run_reports_counts_and_stores_nothing(demo_db):
    at = uploaded(demo_db)
    at.selectbox(key="import_touchpoint_Zendesk tickets").set_value(1).run()
    next(b for b in at.button if b.label == "Dry run").click().run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Rows read"] == "5" and values["Would import"] == "3" and values["Errors"] == "1"
    assert imported_refs(demo_db) == []


def test_import_stores_the_rows_and_offers_the_report_for_download(demo_db):
    at = uploaded(demo_db)
    at.selectbox(key="import_touchpoint_Zendesk tickets").set_value(1).run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Imported"] == "3"
    assert imported_refs(demo_db) == ["ZD-1001", "ZD-1002", "ZD-1003"]
    rows = at.dataframe[-1].value
    assert list(rows["Row"]) == [5, 6] and list(rows["Outcome"]) == ["duplicate", "error"]


def test_without_a_touchpoint_every_row_is_placed_or_waits_unplaced(demo_db):
    at = uploaded(demo_db)
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and not at.error
    values = {m.label: m.value for m in at.metric}
    assert int(values["Imported"]) + int(values["Unplaced"]) == 3
    store = Store(demo_db)
    try:
        held = count_unplaced(store)
    finally:
        store.dispose()
    assert len(imported_refs(demo_db)) + held == 3


def test_an_empty_upload_gets_a_clear_message(demo_db):
    at = uploaded(demo_db, b"", "empty.csv")
    assert any("empty" in e.value for e in at.error)


def test_a_contributor_is_told_importing_needs_the_council(demo_db):
    at = open_page(PAGE, name="Carl Contributor")
    assert not at.file_uploader and any("council" in i.value for i in at.info)


def test_the_wizard_shows_the_detected_tool_and_how_its_dates_are_read(demo_db):
    front = (Path(__file__).parent.parent / "fixtures" / "imports" / "front.csv").read_bytes()
    at = uploaded(demo_db, front, "front.csv")
    assert at.selectbox(key="import_profile").value == "Front messages"
    captions = [c.value.replace("\\", "") for c in at.caption]  # as shown: the escapes are md_escape's
    assert any("Front messages export" in c and "100% sure" in c for c in captions), captions
    assert any("month/day/year, because row 4 has 10/13/2026 14:30" in c for c in captions), captions
    at.selectbox(key="import_date_order_Front messages").set_value("day_first").run()
    assert any("day/month/year, as the profile says" in c.value.replace("\\", "") for c in at.caption)
