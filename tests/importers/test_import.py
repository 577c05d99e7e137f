"""The importer: formats and encodings, mapping guesses, profiles, dedupe, dry run, row numbers, batches, routing."""

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from cxos.errors import NotAllowed, StaleWrite, ValidationFailed
from cxos.importers import batch
from cxos.importers.batch import import_file
from cxos.importers.dates import DAY_FIRST, DateReading, DateUnreadable, detect_order, parse_date
from cxos.importers.mapping import guess_mapping, message_title
from cxos.importers.profiles import BUILT_IN, get_profile, list_profiles, save_profile, suggest_profile
from cxos.importers.reading import ImportUnreadable, decode, open_table
from cxos.importers.report import problems_csv
from cxos.models import Event, ImportProfile, Signal
from cxos.routing.rule_files import load_default_rules
from cxos.signals.writes import create_signal
from tests.conftest import ADMIN, CONTRIBUTOR, COUNCIL

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
GENERIC_CSV = (
    "Title,Details,Ticket\nSearch is slow for big accounts,Takes 30 s,T-1\nExport button missing,,T-2\n"
)


def generic(touchpoint_id: int, **changes) -> object:
    profile = replace(
        BUILT_IN["Generic CSV"],
        mapping={"Title": "title", "Details": "description", "Ticket": "external_ref"},
        default_source="ticket",
        default_touchpoint_id=touchpoint_id,
    )
    return replace(profile, **changes)


def signals(store) -> list[Signal]:
    with store.read() as session:
        return list(session.exec(select(Signal).order_by(Signal.id)))


def run(store, data: bytes | str, profile, *, name: str = "export.csv", **kwargs):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return import_file(store, data=raw, filename=name, profile=profile, actor=COUNCIL, **kwargs)


# ---------------------------------------------------------------- formats and encodings


def test_utf8_with_bom_is_read_without_the_bom_in_the_first_column():
    table = open_table(b"\xef\xbb\xbfTitle,Details\nCaf\xc3\xa9 menu broken,x\n")
    assert table.header == ["Title", "Details"] and table.encoding == "utf-8-sig"
    assert table.preview()[0]["Title"] == "Café menu broken"


def test_utf16_tab_separated_from_excel_is_read():
    data = "Title\tDetails\nNaïve search fails\tÜber slow\n".encode("utf-16")
    table = open_table(data, "export.txt")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.preview() == [{"Title": "Naïve search fails", "Details": "Über slow"}]


def test_latin1_falls_back_without_an_error():
    text, encoding = decode("Title\nPrix en \xa3 faux\n".encode("latin-1") + b"\x81")
    assert encoding in {"cp1252", "latin-1"} and "£" in text


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(delimiter):
    text = f"Title{delimiter}Account\nLogin loops forever{delimiter}Acme\nInvoice wrong{delimiter}Beta\n"
    table = open_table(text.encode())
    assert table.delimiter == delimiter and table.preview()[1] == {
        "Title": "Invoice wrong",
        "Account": "Beta",
    }


def test_old_mac_line_endings_are_read():
    assert open_table(b"Title\rLogin loops forever\rInvoice wrong\r").preview() == [
        {"Title": "Login loops forever"},
        {"Title": "Invoice wrong"},
    ]


def test_xlsx_is_read_with_formulas_kept_as_typed():
    book = Workbook()
    sheet = book.active
    sheet.append(["Title", "Created at"])
    sheet.append(["Checkout spinner never stops", datetime(2026, 10, 1, 9, 30)])
    sheet.append(["=1+1", None])
    out = io.BytesIO()
    book.save(out)
    table = open_table(out.getvalue(), "tickets.xlsx")
    assert table.kind == "xlsx"
    assert table.preview() == [
        {"Title": "Checkout spinner never stops", "Created at": "2026-10-01 09:30:00"},
        {"Title": "=1+1", "Created at": ""},
    ]


def test_a_broken_xlsx_is_unreadable_not_a_crash():
    with pytest.raises(ImportUnreadable, match="xlsx"):
        open_table(b"PK\x03\x04 not really a zip", "x.xlsx")


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf", b"[]"])
def test_an_empty_file_says_there_is_nothing_to_import(data):
    with pytest.raises(ImportUnreadable, match="nothing to import|empty"):
        open_table(data, "x.json" if data == b"[]" else "x.csv")


def test_slack_export_gives_one_record_per_message():
    table = open_table((FIXTURES / "slack_channel.json").read_bytes(), "2026-10-01.json")
    records = list(table.records())
    assert table.kind == "slack_json" and len(records) == 4
    assert records[1].values["user_name"] == "Sam Support"


# ---------------------------------------------------------------- mapping


def test_mapping_is_guessed_from_header_names():
    guess = guess_mapping(
        ["Ticket ID", "Subject", "Body", "Company", "Requester email", "Created", "Priority"]
    )
    assert guess == {
        "Ticket ID": "external_ref",
        "Subject": "title",
        "Body": "description",
        "Company": "account",
        "Requester email": "reporter",
        "Created": "created_at",
        "Priority": "severity",
    }


def test_a_teams_own_friction_sheet_headers_are_guessed_too():
    guess = guess_mapping(["Date", "Customer", "What happened", "Stage", "Severity", "Owner"])
    assert guess == {
        "Date": "created_at",
        "Customer": "account",
        "What happened": "title",
        "Stage": "touchpoint",
        "Severity": "severity",
    }


def test_zendesk_and_intercom_headers_suggest_their_profiles():
    assert (
        suggest_profile(open_table((FIXTURES / "zendesk_tickets.csv").read_bytes()).header, "csv").name
        == "Zendesk tickets"
    )
    assert (
        suggest_profile(open_table((FIXTURES / "intercom_conversations.csv").read_bytes()).header, "csv").name
        == "Intercom conversations"
    )


def test_a_long_chat_message_becomes_a_title_cut_at_a_word():
    title = message_title("word " * 100)
    assert len(title) <= 200 and title.endswith("…") and not title.endswith(" …")


def parse_created(value: str, *, now: datetime) -> datetime | None:
    try:
        return parse_date(value, reading=DateReading(DAY_FIRST, "default"), now=now)
    except DateUnreadable:
        return None


def test_export_dates_become_utc_and_never_the_future():
    now = datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_created("2026-10-02 09:15:00 +0200", now=now) == datetime(2026, 10, 2, 7, 15, tzinfo=UTC)
    assert parse_created("1759316400.000200", now=now) == datetime(2025, 10, 1, 11, 0, tzinfo=UTC)
    assert parse_created("2030-01-01", now=now) is None  # a future date is refused, not clamped to now
    assert parse_created("next tuesday", now=now) is None


def test_an_ambiguous_column_follows_the_default_and_one_day_over_12_decides():
    now = datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_created("03/04/2026", now=now) == datetime(2026, 4, 3, tzinfo=UTC)  # ambiguous: the default
    month_first = detect_order([(2, "03/04/2026"), (3, "3/14/2026 4:05:00 PM")])
    assert month_first.describe() == "read as month/day/year, because row 3 has 3/14/2026 4:05:00 PM"
    assert parse_date("3/14/2026 4:05:00 PM", reading=month_first, now=now) == datetime(
        2026, 3, 14, 16, 5, tzinfo=UTC
    )
    assert parse_date("03/04/2026", reading=month_first, now=now) == datetime(2026, 3, 4, tzinfo=UTC)


# ---------------------------------------------------------------- importing


def test_zendesk_export_imports_every_row_or_reports_it(journey_store, touchpoint_id):
    profile = replace(BUILT_IN["Zendesk tickets"], default_touchpoint_id=touchpoint_id)
    report = run(journey_store, (FIXTURES / "zendesk_tickets.csv").read_bytes(), profile)
    assert (report.rows_read, report.imported, report.count("duplicate"), report.count("error")) == (
        5,
        3,
        1,
        1,
    )
    stored = signals(journey_store)
    assert [s.external_ref for s in stored] == ["ZD-1001", "ZD-1002", "ZD-1003"]
    assert stored[0].description.endswith('"same thing".') and stored[0].severity == "critical"
    assert (
        stored[0].created_at == datetime(2026, 10, 2, 9, 15, tzinfo=UTC) and stored[0].account == "Acme Corp"
    )
    assert stored[2].title == '=HYPERLINK("http://evil.example")'  # stored as typed; exports neutralise it


def test_row_numbers_count_records_with_the_header_as_row_one(journey_store, touchpoint_id):
    profile = replace(BUILT_IN["Zendesk tickets"], default_touchpoint_id=touchpoint_id)
    report = run(journey_store, (FIXTURES / "zendesk_tickets.csv").read_bytes(), profile)
    assert [(p.row, p.outcome) for p in report.problems] == [(5, "duplicate"), (6, "error")]
    assert "What happened: needs at least 3 characters" in report.problems[1].message


def test_slack_export_imports_messages_and_skips_joins_and_replies(journey_store, touchpoint_id):
    profile = replace(BUILT_IN["Slack channel export"], default_touchpoint_id=touchpoint_id)
    report = run(journey_store, (FIXTURES / "slack_channel.json").read_bytes(), profile, name="c.json")
    assert (report.imported, report.count("skipped")) == (2, 2)
    first = signals(journey_store)[0]
    assert (
        first.title.startswith("Customer Acme can't finish onboarding") and "three times" in first.description
    )
    assert (first.source, first.reporter, first.external_ref) == (
        "slack",
        "Sam Support",
        "SLACK-1759316400.000200",
    )


def test_intercom_export_imports_with_its_profile(journey_store, touchpoint_id):
    profile = replace(BUILT_IN["Intercom conversations"], default_touchpoint_id=touchpoint_id)
    report = run(journey_store, (FIXTURES / "intercom_conversations.csv").read_bytes(), profile)
    assert report.imported == 2
    assert signals(journey_store)[1].title == "Where do I find the API key?"


def test_reimporting_the_same_file_skips_every_row_as_a_duplicate(journey_store, touchpoint_id):
    run(journey_store, GENERIC_CSV, generic(touchpoint_id))
    again = run(journey_store, GENERIC_CSV, generic(touchpoint_id))
    assert (again.imported, again.count("duplicate"), again.count("error")) == (0, 2, 0)
    assert "already in the friction log as signal #1" in again.problems[0].message
    assert len(signals(journey_store)) == 2


def test_a_dry_run_stores_nothing_and_reports_the_same_counts(journey_store, touchpoint_id):
    dry = run(journey_store, GENERIC_CSV + "x,,T-3\n", generic(touchpoint_id), dry_run=True)
    assert (dry.imported, dry.count("error"), dry.dry_run) == (2, 1, True)
    assert signals(journey_store) == []


def test_touchpoint_column_is_matched_by_name_and_unmatched_rows_are_reported(journey_store, touchpoint_id):
    data = "Title,Where\nSSO broken for new users,SSO & user provisioning\nNo idea where this goes,Mars\n"
    profile = replace(generic(None), mapping={"Title": "title", "Where": "touchpoint"})
    report = run(journey_store, data, profile)
    assert report.imported == 1 and report.problems[0].row == 3 and "'Mars'" in report.problems[0].message
    fallback = run(
        journey_store,
        data.replace("SSO broken", "SSO still broken"),
        replace(profile, default_touchpoint_id=touchpoint_id),
    )
    assert fallback.imported == 2 and signals(journey_store)[-1].touchpoint_id == touchpoint_id


def test_a_mapping_without_a_title_is_refused_up_front(journey_store):
    """Source and touchpoint are not needed: a row without them is 'other', placed per row or held unplaced."""
    with pytest.raises(ValidationFailed) as refused:
        run(journey_store, GENERIC_CSV, replace(BUILT_IN["Generic CSV"], mapping={"Details": "description"}))
    assert set(refused.value.problems) == {"title"}


def test_importing_needs_the_council_role(journey_store, touchpoint_id):
    with pytest.raises(NotAllowed):
        import_file(
            journey_store,
            data=GENERIC_CSV.encode(),
            filename="x.csv",
            profile=generic(touchpoint_id),
            actor=CONTRIBUTOR,
        )


def test_each_signal_gets_a_created_event_by_the_importer_with_its_row(journey_store, touchpoint_id):
    run(journey_store, GENERIC_CSV, generic(touchpoint_id), name="q3.csv")
    with journey_store.read() as session:
        events = session.exec(select(Event).where(Event.action == "created", Event.entity == "signal")).all()
    assert [(e.actor, e.note) for e in events] == [
        ("Priya Shah", "imported from q3.csv, row 2; waiting in triage"),
        ("Priya Shah", "imported from q3.csv, row 3; waiting in triage"),
    ]


def test_imported_signals_are_routed_exactly_like_logged_ones(journey_store, touchpoint_id):
    load_default_rules(journey_store, actor=ADMIN)
    text = "Customers cannot finish SSO setup with SCIM"
    logged = create_signal(
        journey_store,
        signal_in={"title": text, "source": "ticket", "touchpoint_id": touchpoint_id},
        actor=COUNCIL,
    )
    run(journey_store, f"Title,Ticket\n{text},T-9\n", generic(touchpoint_id))
    imported = signals(journey_store)[-1]
    fields = ("owner_team_id", "status", "routed_by", "root_cause", "version", "updated_by")
    assert logged.owner_team_id is not None
    assert [getattr(imported, f) for f in fields] == [getattr(logged, f) for f in fields]

    def history(signal_id):
        with journey_store.read() as session:
            rows = session.exec(
                select(Event).where(Event.entity_id == signal_id, Event.entity == "signal").order_by(Event.id)
            ).all()
        return [(e.actor, e.action, e.field, e.from_value, e.to_value) for e in rows]

    assert history(imported.id) == history(logged.id)


def test_a_database_failure_stores_nothing_of_that_batch_and_reports_its_rows(
    journey_store, touchpoint_id, monkeypatch
):
    rows = "".join(f"Signal number {n},,T-{n}\n" for n in range(1, 8))
    real = batch._events
    calls = {"n": 0}

    def failing_second_batch(fresh, ids, context):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("INSERT INTO event", {}, Exception("disk I/O error"))
        return real(fresh, ids, context)

    monkeypatch.setattr(batch, "_events", failing_second_batch)
    report = run(journey_store, "Title,Details,Ticket\n" + rows, generic(touchpoint_id), batch_size=3)
    assert [s.external_ref for s in signals(journey_store)] == ["T-1", "T-2", "T-3", "T-7"]
    assert [p.row for p in report.problems] == [5, 6, 7]
    assert "stored none of them" in report.problems[0].message and report.balanced


def test_reported_rows_download_as_formula_safe_csv(journey_store, touchpoint_id):
    report = run(journey_store, "Title,Details,Ticket\nok,,T-1\n", generic(touchpoint_id))
    report.add(9, "error", "=HYPERLINK(1)")
    lines = list(csv.reader(io.StringIO(problems_csv(report))))
    assert lines == [
        ["row", "outcome", "message"],
        ["2", "error", "What happened: needs at least 3 characters"],
        ["9", "error", "'=HYPERLINK(1)"],
    ]


# ---------------------------------------------------------------- saved profiles


def test_a_saved_profile_is_listed_and_reused(journey_store, touchpoint_id):
    saved = save_profile(
        journey_store,
        profile=replace(generic(touchpoint_id), name="Our support sheet", built_in=False),
        actor=COUNCIL,
    )
    assert "Our support sheet" in [p.name for p in list_profiles(journey_store)]
    reused = get_profile(journey_store, "Our support sheet")
    assert reused.mapping == generic(touchpoint_id).mapping and reused.default_touchpoint_id == touchpoint_id
    assert run(journey_store, GENERIC_CSV, reused).imported == 2
    assert saved.id == reused.id


def test_saving_a_profile_records_an_event_and_refuses_stale_edits(journey_store, touchpoint_id):
    first = save_profile(
        journey_store, profile=replace(generic(touchpoint_id), name="Sheet", built_in=False), actor=COUNCIL
    )
    save_profile(journey_store, profile=replace(first, ref_prefix="S-"), actor=COUNCIL)
    with pytest.raises(StaleWrite):
        save_profile(journey_store, profile=replace(first, ref_prefix="X-"), actor=COUNCIL)
    with journey_store.read() as session:
        actions = session.exec(select(Event.action).where(Event.entity == "import_profile")).all()
        assert session.exec(select(func.count()).select_from(ImportProfile)).one() == 1
    assert actions == ["created", "updated", "refused"]


def test_renaming_a_profile_to_a_name_another_profile_has_is_refused_by_its_field(
    journey_store, touchpoint_id
):
    save_profile(
        journey_store,
        profile=replace(generic(touchpoint_id), name="Zendesk EU", built_in=False),
        actor=COUNCIL,
    )
    us = save_profile(
        journey_store,
        profile=replace(generic(touchpoint_id), name="Zendesk US", built_in=False),
        actor=COUNCIL,
    )
    with pytest.raises(ValidationFailed, match="a profile named 'Zendesk EU' exists already") as refused:
        save_profile(journey_store, profile=replace(us, name="Zendesk EU"), actor=COUNCIL)
    assert set(refused.value.problems) == {"name"}
    assert sorted(p.name for p in list_profiles(journey_store) if not p.built_in) == [
        "Zendesk EU",
        "Zendesk US",
    ]


def test_built_in_profiles_cannot_be_overwritten(journey_store):
    with pytest.raises(ValidationFailed, match="built-in"):
        save_profile(
            journey_store, profile=replace(BUILT_IN["Zendesk tickets"], built_in=False), actor=COUNCIL
        )


# ---------------------------------------------------------------- command line


def test_cli_imports_and_prints_json_counts(journey_store, touchpoint_id, tmp_path, capsys):
    from cxos.cli.main import main

    path = tmp_path / "tickets.csv"
    path.write_text(GENERIC_CSV, encoding="utf-8")
    code = main(
        [
            "--database-url",
            journey_store.url,
            "import",
            str(path),
            "--map",
            "Ticket=external_ref",
            "--source",
            "ticket",
            "--touchpoint",
            "SSO & user provisioning",
            "--json",
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and (result["rows_read"], result["imported"], result["errors"]) == (2, 2, 0)
    assert result["profile"] == "Generic CSV"


def test_cli_dry_run_stores_nothing(journey_store, tmp_path, capsys):
    from cxos.cli.main import main

    path = tmp_path / "tickets.csv"
    path.write_text(GENERIC_CSV, encoding="utf-8")
    main(
        [
            "--database-url",
            journey_store.url,
            "import",
            str(path),
            "--source",
            "ticket",
            "--touchpoint",
            "SSO & user provisioning",
            "--dry-run",
        ]
    )
    assert "Would import 2 of 2 rows" in capsys.readouterr().out and signals(journey_store) == []


@pytest.mark.parametrize("content", [b"", b"\x00\x00\x00"])
def test_cli_exits_2_on_unreadable_input(journey_store, tmp_path, capsys, content):
    from cxos.cli.main import main

    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert main(["--database-url", journey_store.url, "import", str(path)]) == 2
    assert "empty" in capsys.readouterr().err


def test_a_list_one_level_down_is_read_as_the_records_as_help_scout_reports_write_it():
    page = {
        "conversations": {"page": 1, "results": [{"id": 7, "subject": "SSO loop"}, {"id": 8, "subject": "x"}]}
    }
    table = open_table(json.dumps(page).encode(), "report.json")
    assert table.header == ["id", "subject"]
    assert [record.values["subject"] for record in table.records()] == ["SSO loop", "x"]
