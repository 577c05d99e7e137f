"""A team's own friction-log Google Sheet as an import source: read, keyed, pulled again without duplicates."""

import json
import uuid

import pytest
from sqlmodel import select

from components.common import pages
from cxos.errors import NotAllowed, NotFound, ValidationFailed
from cxos.importers.mapping import Profile
from cxos.importers.profiles import get_profile, save_profile
from cxos.importers.sheet_source import (
    CONNECTION_KEY,
    SheetAddress,
    SheetConnection,
    import_sheet,
    load_connection,
    parse_address,
    read_table,
    save_connection,
    sheet_table,
)
from cxos.models import Event, Setting, Signal
from cxos.store.sheets.api import RetryPolicy, SheetsRefused, SheetsUnavailable, connect
from cxos.store.sheets.fake_api import FakeSheetsServer, service_account_info, shared_server
from tests.conftest import CONTRIBUTOR, COUNCIL
from tests.test_pages import open_page

WORKSHEET = "Friction log"
FORMULA = '=IMPORTXML("https://evil.example/x","//a")'
# A sheet as a team keeps it: a title row left blank, a blank and a repeated header, a blank row between
# entries, text that looks like a formula, a stage that is no touchpoint, a row without a title, dates as text.
HUMAN_SHEET = [
    [],
    ["Date", "Customer", "What happened", "", "Stage", "Severity", "Customer", "Owner"],
    [
        "2026-03-02",
        "Acme",
        "SSO login loops back to the start",
        "",
        "SSO & user provisioning",
        "High",
        "acme.com",
        "Eng",
    ],
    ["03/03/2026", "Globex", FORMULA, "", "Data import", "Low"],
    [],
    ["2026-03-04", "Initech", "Invoice PDF is blank", "", "Moon base", "Medium"],
    [
        "2026-03-05 09:30",
        "Umbrella",
        "Webhook retries flood our endpoint",
        "",
        "Integrations & API",
        "urgent",
    ],
    ["2026-03-06", "Hooli", "", "", "Data import", "Low"],
    [
        "2026-03-07",
        "Acme",
        "Search finds nothing for SAML",
        "",
        "Help center search",
        "",
        "",
        "",
        "",
        "ask Sam",
    ],
]
MAPPING = {
    "Date": "created_at",
    "Customer": "account",
    "What happened": "title",
    "Stage": "touchpoint",
    "Severity": "severity",
}
GOOD_ROWS, BAD_ROWS = [3, 4, 7, 9], [6, 8]


@pytest.fixture(autouse=True)
def roomy_quota():
    """The process's shared fake counts every test's reads against one 60-a-minute quota: lift it here."""
    server, _ = shared_server("quota")
    before, server.quota_per_minute = server.quota_per_minute, 100_000
    yield
    server.quota_per_minute = before


def fake_sheet(rows=HUMAN_SHEET, name: str | None = None) -> tuple[FakeSheetsServer, str, dict]:
    """A spreadsheet in the process's shared fake (what gsheets+fake://NAME opens) holding `rows`."""
    name = name or f"team-{uuid.uuid4().hex[:10]}"
    server, key = shared_server(name)
    api = connect(name, key, transport=server)
    api.add_worksheets([WORKSHEET], columns=12)
    for number, row in enumerate(rows, start=1):
        for col, value in enumerate(row, start=1):
            server.set_cell(name, WORKSHEET, number, col, value)
    return server, name, key


def profile_for(store, **changes) -> Profile:
    return save_profile(
        store,
        profile=Profile("Team sheet", "google_sheet", MAPPING, default_source="other", **changes),
        actor=COUNCIL,
    )


def pull(store, name: str, profile: Profile, **kwargs):
    address, table = read_table(SheetAddress(name, WORKSHEET, fake=True))
    return import_sheet(store, address=address, table=table, profile=profile, actor=COUNCIL, **kwargs)


def titles(store) -> list[str]:
    with store.read() as session:
        return list(session.exec(select(Signal.title).order_by(Signal.id)))


# ---------------------------------------------------------------- reading


def test_the_header_is_the_first_filled_row_and_records_carry_sheet_row_numbers():
    table = sheet_table(HUMAN_SHEET)
    assert table.header == [
        "Date",
        "Customer",
        "What happened",
        "Column 4",
        "Stage",
        "Severity",
        "Customer (2)",
        "Owner",
        "Column 9",
        "Column 10",
    ]
    records = list(table.records())
    assert [r.number for r in records] == [3, 4, 6, 7, 8, 9]
    assert records[1].values["What happened"] == FORMULA and records[-1].values["Column 10"] == "ask Sam"


def test_an_empty_worksheet_is_refused_with_a_reason():
    with pytest.raises(ValidationFailed, match="empty"):
        sheet_table([[], ["", " "]])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("https://docs.google.com/spreadsheets/d/1AbC_d-9/edit#gid=0", SheetAddress("1AbC_d-9")),
        ("gsheets://1AbC/Friction%20log", SheetAddress("1AbC", "Friction log")),
        ("gsheets+fake://team", SheetAddress("team", fake=True)),
        ("1AbC_d-9", SheetAddress("1AbC_d-9")),
    ],
)
def test_sheet_addresses_in_every_form_people_paste(text, expected):
    assert parse_address(text) == expected


def test_an_address_that_is_no_sheet_is_refused():
    with pytest.raises(ValidationFailed, match="docs.google.com"):
        parse_address("https://example.com/not/a/sheet")


def test_cells_are_read_as_the_person_sees_them():
    server, name, _ = fake_sheet([["Date", "ARR"], [46095, 12000.5]])
    address, table = read_table(SheetAddress(name, fake=True))
    assert address.worksheet == WORKSHEET  # the first worksheet when none is named
    assert table.preview() == [{"Date": "46095", "ARR": "12000.5"}]
    read = [r for r in server.log if r.path.endswith("values:batchGet")][-1]
    assert read.params["valueRenderOption"] == ["FORMATTED_VALUE"]


def test_a_sheet_not_shared_with_the_service_account_says_whom_to_share_it_with():
    server = FakeSheetsServer()
    with pytest.raises(SheetsRefused, match="share the sheet with cxos-test@.*Viewer"):
        read_table(SheetAddress("not-shared"), service_account=service_account_info(), transport=server)


def test_an_unreachable_sheets_says_so():
    server = FakeSheetsServer()
    server.create_spreadsheet("offline")
    server.offline = True
    with pytest.raises(SheetsUnavailable, match="cannot be reached.*not read"):
        read_table(
            SheetAddress("offline"),
            service_account=service_account_info(),
            transport=server,
            retry=RetryPolicy(waits=()),
        )


def test_without_a_service_account_the_message_says_where_to_put_one(monkeypatch):
    for variable in ("CXOS_SHEETS_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(SheetsRefused, match="gcp_service_account"):
        read_table(SheetAddress("some-real-sheet"))


def test_a_worksheet_the_sheet_lacks_is_named_with_those_it_has():
    _, name, _ = fake_sheet()
    with pytest.raises(ValidationFailed, match="'Friction log'"):
        read_table(SheetAddress(name, "Sheet9", fake=True))


# ---------------------------------------------------------------- importing and pulling again


def test_good_rows_become_signals_and_bad_rows_errors_with_their_sheet_row(journey_store):
    _, name, _ = fake_sheet()
    report = pull(journey_store, name, profile_for(journey_store))
    assert (report.rows_read, report.imported, report.count("error")) == (6, 4, 2) and report.balanced
    assert sorted(p.row for p in report.problems) == BAD_ROWS
    assert "Moon base" in next(p.message for p in report.problems if p.row == 6)
    assert titles(journey_store) == [
        "SSO login loops back to the start",
        FORMULA,
        "Webhook retries flood our endpoint",
        "Search finds nothing for SAML",
    ]
    with journey_store.read() as session:
        acme = session.exec(select(Signal).where(Signal.title.startswith("SSO"))).one()
        notes = list(
            session.exec(
                select(Event.note).where(
                    Event.entity == "signal", Event.entity_id == acme.id, Event.action == "created"
                )
            )
        )
    assert (acme.account, acme.severity, acme.created_at.day) == ("Acme", "high", 2)
    assert acme.external_ref.startswith(f"https://docs.google.com/spreadsheets/d/{name}/edit#cxos-row=")
    assert notes == ["imported from Google Sheet “Friction log”, row 3; waiting in triage"]


def test_pulling_again_imports_nothing_twice_even_after_sorting_the_sheet(journey_store):
    server, name, _ = fake_sheet()
    profile = profile_for(journey_store)
    pull(journey_store, name, profile)
    rows = server.rows(name, WORKSHEET)
    server.spreadsheets[name][WORKSHEET].rows = rows[:2] + list(reversed(rows[2:]))  # sorted, newest first
    report = pull(journey_store, name, profile)
    assert (report.imported, report.count("duplicate"), report.count("error")) == (
        0,
        4,
        2,
    ) and report.balanced
    assert len(titles(journey_store)) == 4


def test_a_row_added_to_the_sheet_is_the_only_one_the_next_pull_imports(journey_store):
    server, name, _ = fake_sheet()
    profile = profile_for(journey_store)
    pull(journey_store, name, profile)
    for col, value in enumerate(["2026-03-09", "Stark", "Bulk edit times out", "", "Data import", "High"], 1):
        server.set_cell(name, WORKSHEET, 11, col, value)
    server.set_cell(
        name, WORKSHEET, 3, 8, "Priya"
    )  # someone fills in the Owner column: not a change to a signal
    report = pull(journey_store, name, profile)
    assert report.imported == 1 and report.count("duplicate") == 4
    assert titles(journey_store)[-1] == "Bulk edit times out"


def test_an_edited_row_comes_in_as_a_new_signal(journey_store):
    server, name, _ = fake_sheet()
    profile = profile_for(journey_store)
    pull(journey_store, name, profile)
    server.set_cell(name, WORKSHEET, 3, 3, "SSO login loops back to the start (Okta only)")
    assert pull(journey_store, name, profile).imported == 1
    assert len(titles(journey_store)) == 5


def test_a_ticket_column_is_the_reference_and_rows_without_one_get_a_content_key(journey_store):
    rows = [
        ["Ticket", "What happened", "Stage"],
        ["1001", "Export is slow", "Data import"],
        ["", "Import wizard crashes", "Data import"],
    ]
    _, name, _ = fake_sheet(rows)
    profile = save_profile(
        journey_store,
        actor=COUNCIL,
        profile=Profile(
            "Tickets sheet",
            "google_sheet",
            {"Ticket": "external_ref", "What happened": "title", "Stage": "touchpoint"},
            default_source="ticket",
            ref_prefix="ZD-",
        ),
    )
    assert pull(journey_store, name, profile).imported == 2
    assert pull(journey_store, name, profile).count("duplicate") == 2
    with journey_store.read() as session:
        refs = list(session.exec(select(Signal.external_ref).order_by(Signal.id)))
    assert refs[0] == "ZD-1001" and "#cxos-row=" in refs[1]


def test_a_dry_run_stores_nothing(journey_store):
    _, name, _ = fake_sheet()
    report = pull(journey_store, name, profile_for(journey_store), dry_run=True)
    assert report.imported == 4 and titles(journey_store) == []


def test_the_sheet_is_only_read_never_written(journey_store):
    server, name, _ = fake_sheet()
    writes_before = server.count("write")
    pull(journey_store, name, profile_for(journey_store))
    assert server.count("write") == writes_before and server.rows(name, WORKSHEET)[1][2] == "What happened"


# ---------------------------------------------------------------- the saved connection


def test_the_connection_and_its_profile_round_trip(journey_store):
    profile = profile_for(journey_store, default_touchpoint_id=None)
    connection = SheetConnection("1AbC", WORKSHEET, profile.name)
    save_connection(journey_store, connection=connection, expected_version=0, actor=COUNCIL)
    assert load_connection(journey_store) == connection
    assert get_profile(journey_store, "Team sheet").mapping == MAPPING
    with journey_store.read() as session:
        setting = session.exec(select(Setting).where(Setting.key == CONNECTION_KEY)).one()
        event = session.exec(
            select(Event).where(Event.entity == "setting", Event.entity_id == setting.id)
        ).one()
    assert json.loads(setting.value) == {
        "spreadsheet_id": "1AbC",
        "worksheet": WORKSHEET,
        "profile": "Team sheet",
        "fake": False,
    }
    assert event.actor == COUNCIL.name


def test_a_connection_needs_a_saved_profile_and_the_council_role(journey_store):
    with pytest.raises(NotFound, match="No import profile"):
        save_connection(
            journey_store,
            connection=SheetConnection("1AbC", WORKSHEET, "Nope"),
            expected_version=0,
            actor=COUNCIL,
        )
    profile_for(journey_store)
    with pytest.raises(NotAllowed):
        save_connection(
            journey_store,
            connection=SheetConnection("1AbC", WORKSHEET, "Team sheet"),
            expected_version=0,
            actor=CONTRIBUTOR,
        )
    assert load_connection(journey_store) is None


# ---------------------------------------------------------------- command line


def test_cli_imports_a_sheet_then_pulls_the_connected_sheet_without_duplicates(journey_store, capsys):
    from cxos.cli.main import main

    server, name, _ = fake_sheet()
    profile_for(journey_store)
    code = main(
        [
            "--database-url",
            journey_store.url,
            "import",
            f"gsheets+fake://{name}/Friction%20log",
            "--profile",
            "Team sheet",
            "--json",
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and (result["rows_read"], result["imported"], result["errors"]) == (6, 4, 2)
    assert sorted(p["row"] for p in result["problems"]) == BAD_ROWS and result["kind"] == "google_sheet"
    save_connection(
        journey_store,
        connection=SheetConnection(name, WORKSHEET, "Team sheet", fake=True),
        expected_version=0,
        actor=COUNCIL,
    )
    server.set_cell(name, WORKSHEET, 12, 1, "2026-03-09")  # a row without its date is reported, not dated now
    server.set_cell(name, WORKSHEET, 12, 3, "Dark mode hides the save button")
    server.set_cell(name, WORKSHEET, 12, 5, "First workflow")
    main(["--database-url", journey_store.url, "import", "--connected"])
    captured = capsys.readouterr()
    assert "Imported 1 of 7 rows" in captured.out and "row 6: error" in captured.err


def test_cli_without_a_connection_says_to_connect_one(journey_store, capsys):
    from cxos.cli.main import main

    assert main(["--database-url", journey_store.url, "import", "--connected"]) == 2
    assert "no sheet is connected" in capsys.readouterr().err


# ---------------------------------------------------------------- the page


def sheet_tab(demo_db, address: str):
    at = open_page(pages.IMPORT.path)
    at.text_input(key="sheet_address").input(address).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def map_team_sheet(at):
    for field_name, column in [
        ("title", "What happened"),
        ("touchpoint", "Stage"),
        ("account", "Customer"),
        ("created_at", "Date"),
        ("severity", "Severity"),
    ]:
        at.selectbox(key=f"sheet_map_Generic CSV_{field_name}").set_value(column)
    at.selectbox(key="sheet_source_Generic CSV").set_value("other")
    return at.run()


def test_page_previews_maps_imports_connects_and_pulls_a_sheet(demo_db):
    server, name, _ = fake_sheet()
    at = sheet_tab(demo_db, f"gsheets+fake://{name}")
    assert at.selectbox(key=f"sheet_worksheet_{name}").value == WORKSHEET
    preview = at.dataframe[0].value
    assert len(preview) == 6 and list(preview.columns)[:3] == ["Date", "Customer", "What happened"]
    at = map_team_sheet(at)
    at.button(key="sheet_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Imported"] == "4"
    assert list(at.dataframe[-1].value["Row"]) == BAD_ROWS

    at.text_input(key="sheet_connect_profile").input("Team sheet").run()
    at.button(key="sheet_connect").click().run()
    assert not at.exception and any("Connected" in s.value for s in at.success)
    store_url = demo_db
    from cxos.store.store import Store

    store = Store(store_url)
    try:
        assert load_connection(store) == SheetConnection(name, WORKSHEET, "Team sheet", fake=True)
    finally:
        store.dispose()

    server.set_cell(name, WORKSHEET, 11, 1, "2026-03-09")  # a row without its date is reported, not dated now
    server.set_cell(name, WORKSHEET, 11, 3, "Billing page shows the wrong currency")
    server.set_cell(name, WORKSHEET, 11, 5, "Billing & invoices")
    at = open_page(pages.IMPORT.path)
    pull_button = at.button(key="sheet_pull")
    assert pull_button.label == f"Pull new rows from {WORKSHEET}"
    pull_button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    values = {m.label: m.value for m in at.metric}
    assert (values["Imported"], values["Duplicates"], values["Errors"]) == ("1", "4", "2")


def test_page_says_whom_to_share_a_sheet_with(demo_db):
    at = sheet_tab(demo_db, "gsheets+fake://")
    assert any("not a spreadsheet address" in e.value for e in at.error)
    at = sheet_tab(demo_db, "https://docs.google.com/spreadsheets/d/nobody-shared-this/edit")
    assert at.error and not at.dataframe


def test_page_without_an_address_invites_one_and_keeps_the_file_tab(demo_db):
    at = open_page(pages.IMPORT.path)
    assert [t.label for t in at.tabs] == ["From a file", "From a Google Sheet"]
    assert at.file_uploader and any("friction-log sheet" in i.value for i in at.info)
