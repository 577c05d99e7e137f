"""`sync`: every table copied between SQLite, PostgreSQL and a Google sheet (the offline fake), proven by counts
and checksums on both sides; a target that holds rows is refused; a row that differs is reported."""

import json
import re
import shutil
import uuid

import pytest
from sqlalchemy import func, select, text, update

from cxos.cli.main import main
from cxos.demo.build import build_demo
from cxos.failure_modes.writes import merge_failure_modes
from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.models import FailureMode, LoopNotice, Signal
from cxos.signals.export import export_rows
from cxos.signals.writes import create_signal
from cxos.store.sheets import layout
from cxos.store.sheets.fake_api import FakeSheetsServer
from cxos.store.store import Store
from cxos.store.sync import SyncRefused, sync_stores, table_sums
from tests.conftest import ADMIN, CONTRIBUTOR, DEMO_ANCHOR, open_fake_sheets_store

TABLES = [table.name for table in layout.tables()]


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """A 200-signal demo in a SQLite file, built once; sync only reads it."""
    path = tmp_path_factory.mktemp("sync") / "demo.db"
    demo = Store.open(f"sqlite:///{path}", create=True)
    build_demo(demo, signals=200, seed=3, anchor=DEMO_ANCHOR)
    demo.dispose()
    return path


@pytest.fixture
def demo(demo_file, tmp_path):
    """A private copy of the demo, for tests that change the source."""
    path = tmp_path / "source.db"
    shutil.copy(demo_file, path)
    opened = Store.open(f"sqlite:///{path}")
    yield opened
    opened.dispose()


@pytest.fixture
def server() -> FakeSheetsServer:
    return FakeSheetsServer(quota_per_minute=100_000)


def _sqlite(tmp_path, name: str) -> Store:
    return Store.open(f"sqlite:///{tmp_path / name}", create=True)


def _assert_every_table_matches(report, expected):
    assert report.ok and [t.name for t in report.tables] == TABLES
    for table in report.tables:
        count, checksum = expected[table.name]
        assert (table.source_count, table.source_checksum) == (count, checksum), table.name
        assert (table.target_count, table.target_checksum) == (count, checksum), table.name


def test_sqlite_to_sql_to_sheet_to_sqlite_loses_nothing(demo, store, server, sheets_key, tmp_path):
    first = {name: (s.count, s.checksum) for name, s in table_sums(demo).items()}
    assert first["signal"][0] == 200 and first["event"][0] > 200
    _assert_every_table_matches(sync_stores(demo, store), first)  # SQLite → SQLite or PostgreSQL

    sheet = open_fake_sheets_store(server, sheets_key, tmp_path / "working.db", "hop")
    _assert_every_table_matches(sync_stores(store, sheet), first)  # → Google Sheets
    assert len(server.rows("hop", "signal")) == 1 + 200  # the header and every signal, in the sheet itself
    sheet.dispose()

    from_sheet = open_fake_sheets_store(
        server, sheets_key, tmp_path / "fresh.db", "hop"
    )  # a copy read from it
    last = _sqlite(tmp_path, "last.db")
    _assert_every_table_matches(sync_stores(from_sheet, last), first)  # → a fresh SQLite
    assert list(export_rows(last)) == list(export_rows(demo))
    from_sheet.dispose()
    last.dispose()


def test_a_sheet_gets_one_append_per_table_of_up_to_2000_rows(demo, server, sheets_key, tmp_path):
    sheet = open_fake_sheets_store(server, sheets_key, tmp_path / "working.db", "few")
    before = len(server.log)
    sync_stores(demo, sheet)
    appends = [r for r in server.log[before:] if r.path.endswith(":append")]
    counts = table_sums(demo)
    assert len(appends) == sum(-(-counts[name].count // 2000) for name in TABLES)
    sheet.dispose()


def test_a_target_that_holds_rows_is_refused_and_nothing_is_written(demo, store):
    load_journey_template(store, actor=ADMIN)
    before = table_sums(store)
    stages = before["stage"].count
    with pytest.raises(
        SyncRefused, match=rf"not empty: it holds .*{stages} rows in stage.*nothing was copied"
    ):
        sync_stores(demo, store)
    assert table_sums(store) == before


def test_a_row_changed_in_the_target_during_the_copy_is_reported_as_differing(demo, store):
    def someone_else_edits(table: str, rows: int) -> None:
        if table == "signal":
            with store.write() as session:
                session.execute(update(Signal).where(Signal.id == 1).values(title="Changed meanwhile"))

    report = sync_stores(demo, store, progress=someone_else_edits)
    assert not report.ok
    assert [t.name for t in report.tables if not t.matches] == ["signal"]
    signal = next(t for t in report.tables if t.name == "signal")
    assert (
        signal.source_count == signal.target_count == 200 and signal.source_checksum != signal.target_checksum
    )


def test_a_failure_mode_merged_into_a_newer_one_is_copied(demo, store):
    with demo.read() as session:
        newest = session.get(FailureMode, session.execute(select(func.max(FailureMode.id))).scalar_one())
        oldest = session.get(FailureMode, 1)
    merge_failure_modes(
        demo,
        source_id=oldest.id,
        source_version=oldest.version,
        target_id=newest.id,
        target_version=newest.version,
        actor=ADMIN,
    )
    assert sync_stores(demo, store).ok
    with store.read() as session:
        assert session.get(FailureMode, 1).merged_into_id == newest.id


def test_after_a_copy_the_next_signal_gets_the_next_id(demo, store):
    sync_stores(demo, store)
    with store.read() as session:
        touchpoint = touchpoint_options(session)[0].id
    signal = create_signal(
        store,
        signal_in={"title": "Logged after the move", "source": "ticket", "touchpoint_id": touchpoint},
        actor=CONTRIBUTOR,
    )
    assert signal.id == 201


def test_a_sheet_with_unreadable_rows_is_not_copied_from(demo, server, sheets_key, tmp_path):
    with demo.read() as session:
        notice = (
            session.execute(select(LoopNotice).where(LoopNotice.signal_id.is_not(None))).scalars().first()
        )
    sheet = open_fake_sheets_store(server, sheets_key, tmp_path / "working.db", "broken")
    sync_stores(demo, sheet)
    signals, notices = server.rows("broken", "signal"), server.rows("broken", "loop_notice")
    row = next(n for n, cells in enumerate(signals, start=1) if cells[0] == notice.signal_id)
    notice_row = next(n for n, cells in enumerate(notices, start=1) if cells[0] == notice.id)
    server.set_cell(
        "broken", "signal", row, signals[0].index("version") + 1, "three"
    )  # a person, in the sheet
    target = _sqlite(tmp_path, "target.db")
    with pytest.raises(
        SyncRefused,
        match=rf"rows that cannot be read.*signal row {row}: column version.*"
        rf"loop_notice row {notice_row}: signal_id {notice.signal_id} is not a "
        "readable row of 'signal'",
    ):
        sync_stores(sheet, target)
    assert table_sums(target)["signal"].count == 0
    sheet.dispose()
    target.dispose()


def test_a_sheet_that_cannot_be_reached_is_not_copied_from(demo, server, sheets_key, tmp_path):
    sheet = open_fake_sheets_store(server, sheets_key, tmp_path / "working.db", "away")
    server.offline = True
    with pytest.raises(SyncRefused, match="cannot be read: Google Sheets cannot be reached"):
        sync_stores(sheet, _sqlite(tmp_path, "target.db"))
    sheet.dispose()


def test_cli_copies_sqlite_to_a_fake_sheet_and_prints_a_line_per_table(demo, tmp_path, monkeypatch, capsys):
    default = tmp_path / "default.db"
    monkeypatch.setenv("CXOS_DATABASE_URL", f"sqlite:///{default}")
    monkeypatch.setenv("CXOS_SHEETS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CXOS_FAKE_SHEETS_FILE", raising=False)
    sheet_url = f"gsheets+fake://sync-{uuid.uuid4().hex[:8]}"
    assert main(["sync", "--from", demo.url, "--to", sheet_url]) == 0
    out = capsys.readouterr().out
    for name in TABLES:
        assert re.search(
            rf"^{name} +[\d,]+ +[0-9a-f]{{12}} +[\d,]+ +[0-9a-f]{{12}} +ok$", out, re.MULTILINE
        ), name
    assert re.search(r"^signal +200 +[0-9a-f]{12} +200 ", out, re.MULTILINE)
    assert "Every table matches." in out
    assert not default.exists()  # sync opens its two stores, never the default database


def test_cli_check_exits_non_zero_and_names_the_table_that_differs(demo, tmp_path, capsys):
    target = _sqlite(tmp_path, "target.db")
    assert main(["sync", "--from", demo.url, "--to", target.url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    with target.write() as session:
        session.execute(update(Signal).where(Signal.id == 7).values(account="Someone else"))
    assert main(["sync", "--from", demo.url, "--to", target.url, "--check"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^signal +200 +[0-9a-f]{12} +200 +[0-9a-f]{12} +DIFFERS$", out, re.MULTILINE)
    assert re.search(r"^event +[\d,]+ .* ok$", out, re.MULTILINE)
    assert f"1 of {len(TABLES)} tables DIFFER: signal." in out
    target.dispose()


def test_cli_refuses_a_non_empty_target_with_exit_status_2(demo, tmp_path, capsys):
    assert main(["sync", "--from", demo.url, "--to", demo.url]) == 2
    assert "is not empty: it holds" in capsys.readouterr().err


def test_a_sheet_that_breaks_a_schema_rule_is_not_copied_from(demo, server, sheets_key, tmp_path):
    sheet = open_fake_sheets_store(server, sheets_key, tmp_path / "working.db", "twins")
    sync_stores(demo, sheet)
    teams = server.rows("twins", "team")
    server.set_cell(
        "twins", "team", 3, teams[0].index("name") + 1, teams[1][teams[0].index("name")]
    )  # a person
    with pytest.raises(
        SyncRefused, match=r"cannot be read: The sheet could not be loaded: UNIQUE constraint failed"
    ):
        sync_stores(sheet, _sqlite(tmp_path, "target.db"))
    sheet.dispose()


def test_a_postgresql_copy_is_analysed_so_its_queries_are_planned_from_its_rows(demo, store):
    if store.is_sqlite:
        pytest.skip("SQLite has no planner statistics that a copy leaves empty")
    sync_stores(demo, store)
    with store.read() as session:
        estimated = session.execute(
            select(func.max(text("reltuples")))
            .select_from(text("pg_class"))
            .where(text("relname = 'signal'"))
        ).scalar_one()
    assert estimated == 200  # ANALYZE counted the copied signals; before, the planner guessed
