"""Pages on a Google Sheets store (the offline fake): a quiet caption when all is well, a banner and the cached
log when the sheet is unreachable, and a change queued on 429 shown as queued, then sent by "Send now"."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from components.common import pages
from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.models import Signal
from cxos.signals.writes import create_signal
from cxos.store.sheets import fake_api
from cxos.store.sheets.store import SheetsStore, open_sheets_store
from tests.conftest import ADMIN, CONTRIBUTOR
from tests.signals.test_quick_entry import _submit
from tests.test_pages import open_page

SHEET = "status-page"
URL = f"gsheets+fake://{SHEET}"
SEEDED = ["Export to CSV times out", "SSO users missing after sync", "Invoice PDF shows the wrong VAT"]


def _no_sleep(seconds: float) -> None:
    pass


@dataclass
class Sheet:
    server: fake_api.FakeSheetsServer
    store: SheetsStore  # the app's own store object (st.cache_resource is per process, as AppTest is)


@pytest.fixture
def sheet(tmp_path, monkeypatch):
    """A fake spreadsheet with the default journey and three signals, selected for the app by its URL."""
    import streamlit as st

    from components.common.data import get_store

    fake_api._SHARED.clear()  # a fresh shared fake: no sheets, failures or quota use from another test
    monkeypatch.setenv("CXOS_DATABASE_URL", URL)
    monkeypatch.setenv("CXOS_FAKE_SHEETS_FILE", str(tmp_path / "fake.json"))
    monkeypatch.setenv("CXOS_SHEETS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CXOS_FAKE_SHEETS_OFFLINE_FILE", raising=False)
    monkeypatch.delenv("CXOS_LOCAL_USER", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    seed = open_sheets_store(URL, cache_path=tmp_path / "seed.db", sleep=_no_sleep)
    load_journey_template(seed, actor=ADMIN)
    with seed.read() as session:
        touchpoint = touchpoint_options(session)[0].id
    for title in SEEDED:
        create_signal(
            seed,
            signal_in={"title": title, "source": "ticket", "touchpoint_id": touchpoint},
            actor=CONTRIBUTOR,
        )
    seed.dispose()
    app_store = get_store()
    app_store.api.sleep = _no_sleep  # the foreground retries would wait 1 s and 2 s
    yield Sheet(fake_api._SHARED["server"], app_store)
    st.cache_resource.clear()
    st.cache_data.clear()
    app_store.dispose()
    fake_api._SHARED.clear()


def _banners(at) -> str:
    return " ".join(element.value for element in [*at.warning, *at.error, *at.info])


def _titles_in_sheet(server) -> list[str]:
    rows = server.rows(SHEET, "signal")
    title = rows[0].index("title")
    return [row[title] for row in rows[1:] if len(row) > title]


def test_healthy_sheet_no_banner_and_the_sidebar_names_google_sheets(sheet):
    at = open_page(pages.FRICTION_LOG.path)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning and not at.error and not at.info
    caption = next(c.value for c in at.sidebar.caption if c.value.startswith("Data:"))
    assert caption.startswith("Data: Google Sheets · read ") and caption.endswith(" UTC")
    assert "3 signals" in " ".join(m.value for m in at.markdown)


def test_home_page_runs_on_a_sheet(sheet):
    at = open_page("app.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.metric[0].label == "New signals" and at.metric[0].value == "3"


def test_unreachable_sheet_the_log_is_read_from_the_copy_under_a_banner(sheet):
    sheet.server.offline = True
    sheet.store.refresh(force=True)
    at = open_page(pages.FRICTION_LOG.path)
    assert not at.exception, [e.value for e in at.exception]
    banner = " ".join(w.value for w in at.warning)
    assert "Google Sheets can't be reached" in banner and "less than a minute ago" in banner
    assert "cannot be reached" in banner  # the problem itself, in words
    assert "3 signals" in " ".join(m.value for m in at.markdown)
    assert set(at.dataframe[0].value["What happened"]) >= set(SEEDED)
    assert "offline" in next(c.value for c in at.sidebar.caption if c.value.startswith("Data:"))


def test_offline_flag_file_takes_the_shared_fake_offline(sheet, tmp_path, monkeypatch):
    flag = tmp_path / "offline"
    sheet.server.offline_flag = flag
    assert sheet.store.refresh(force=True).reachable
    flag.touch()
    assert not sheet.store.refresh(force=True).reachable
    flag.unlink()
    assert sheet.store.refresh(force=True).reachable


def test_a_change_refused_with_429_is_queued_shown_as_queued_and_sent_by_send_now(sheet):
    sheet.server.fail_next(50, 429)
    at = _submit(open_page(pages.LOG_FRICTION.path), "Okta users missing after SCIM sync")
    assert not at.exception, [e.value for e in at.exception]
    with sheet.store.read() as session:  # kept in the working copy
        assert session.exec(select(Signal).where(Signal.title == "Okta users missing after SCIM sync")).one()
    assert "Okta users missing after SCIM sync" not in _titles_in_sheet(sheet.server)
    queued = " ".join(i.value for i in at.info)
    assert "queued for Google Sheets" in queued and sheet.store.status.queued >= 1
    assert (
        f"{sheet.store.status.queued:,} changed rows are queued" in queued
    )  # visible in the run after the write
    assert any("queued for Google Sheets" in t.value for t in at.toast)

    sheet.server._failures.clear()  # Google answers again
    at = at.button(key="sheet_send_now").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Okta users missing after SCIM sync" in _titles_in_sheet(sheet.server)
    assert sheet.store.status.queued == 0 and not _banners(at)


def test_rows_the_app_could_not_read_are_listed_as_plain_text(sheet):
    rows = sheet.server.rows(SHEET, "signal")
    sheet.server.set_cell(SHEET, "signal", len(rows) + 1, 2, "**not** a row <b>at all</b>")
    sheet.store.refresh(force=True)
    at = open_page(pages.FRICTION_LOG.path)
    assert at.expander[0].label.endswith("1 row in the sheet could not be read")
    assert f"signal row {len(rows) + 1}: the id cell is empty" in at.expander[0].text[0].value


def test_a_sheet_that_answers_but_cannot_be_loaded_says_so(sheet):
    teams = sheet.server.rows(SHEET, "team")
    name = teams[0].index("name") + 1
    sheet.server.set_cell(SHEET, "team", 3, name, teams[1][name - 1])  # two teams with one name
    sheet.store.refresh(force=True)
    at = open_page(pages.FRICTION_LOG.path)
    assert not at.exception, [e.value for e in at.exception]
    assert any("The sheet could not be loaded" in w.value for w in at.warning)
    assert "3 signals" in " ".join(m.value for m in at.markdown)
    assert next(c.value for c in at.sidebar.caption if c.value.startswith("Data:")).endswith("not loaded")


def test_conflicting_queued_changes_are_shown_with_our_values(sheet):
    from cxos.signals.writes import update_signal

    sheet.server.offline = True
    sheet.store.refresh(force=True)
    with sheet.store.read() as session:
        signal = session.exec(select(Signal).where(Signal.title == SEEDED[0])).one()
    update_signal(
        sheet.store,
        signal_id=signal.id,
        expected_version=signal.version,
        changes={"title": "Renamed in the app"},
        actor=CONTRIBUTOR,
    )
    rows = sheet.server.rows(SHEET, "signal")
    number = next(n for n, row in enumerate(rows, start=1) if row and row[0] == signal.id)
    sheet.server.set_cell(SHEET, "signal", number, rows[0].index("title") + 1, "Renamed in the sheet")
    sheet.server.offline = False
    sheet.store.refresh(force=True)
    assert sheet.store.status.conflicts == 1
    at = open_page(pages.FRICTION_LOG.path)
    assert any(
        "1 queued change conflicted with edits made directly in the sheet" in w.value for w in at.warning
    )
    assert f"signal #{signal.id}" in at.expander[0].text[0].value
    assert "Renamed in the app" in at.expander[0].code[0].value


def test_the_copy_read_time_reads_as_minutes_ago():
    from components.common.sheet_status import _copy_read

    now = datetime(2026, 11, 16, 12, 30, tzinfo=UTC)
    assert _copy_read(now - timedelta(minutes=7), now) == "the copy read at 12:23 UTC (7 min ago)"
    assert _copy_read(now - timedelta(minutes=125), now) == "the copy read at 10:25 UTC (2 h 5 min ago)"
    assert _copy_read(now - timedelta(days=2), now) == "the copy read on 14 Nov 2026 at 12:30 UTC"
    assert "not read from the sheet" in _copy_read(None, now)


def test_on_sql_the_sidebar_says_only_the_backend(demo_db):
    at = open_page("app.py")
    assert "Data: SQLite" in [c.value for c in at.sidebar.caption]
    assert not at.warning and not at.info
