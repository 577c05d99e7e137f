"""Each tool's export, in its real column layout, is detected as its profile and imported with its reference,
contact, account and created time mapped; tags, group and channel travel with the row; a re-import stores
nothing twice; bad dates are reported per row with the file's own row numbers."""

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from cxos.importers import batch
from cxos.importers.batch import import_file
from cxos.importers.mapping import BAD_DATE_IMPORT_TIME
from cxos.importers.profiles import (
    BUILT_IN,
    CHECKED,
    NOT_A_TOOL,
    PARTLY,
    UNVERIFIED,
    VERIFIED,
    detect_profile,
    profile_scores,
    save_profile,
)
from cxos.importers.reading import open_table
from cxos.importers.report import problems_csv
from cxos.models import Signal
from tests.conftest import COUNCIL

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# file → (profile, first signal's (reference, contact, account, created), rows imported, reported rows).
EXPORTS = {
    "zendesk.csv": (
        "Zendesk tickets",
        ("ZD-3101", "dana@acme.example", "Acme Corp", at(2026, 10, 2, 9, 15)),
        2,
        [(4, "error"), (5, "duplicate")],
    ),
    "zendesk.xlsx": (
        "Zendesk tickets",
        ("ZD-3101", "dana@acme.example", "Acme Corp", at(2026, 10, 2, 9, 15)),
        2,
        [(4, "error"), (5, "duplicate")],
    ),
    "zendesk.json": (
        "Zendesk tickets (JSON export)",
        ("ZD-3101", "901", "7001", at(2026, 10, 2, 9, 15)),
        2,
        [(3, "error"), (4, "error")],
    ),
    "intercom.csv": (
        "Intercom conversations",
        ("INTERCOM-7001", "dana@acme.example", "Acme Corp", at(2026, 9, 30, 12)),
        2,
        [(4, "error")],
    ),
    "freshdesk.csv": (
        "Freshdesk tickets",
        ("FD-501", "dana@acme.example", "Acme Corp", at(2026, 10, 1, 9, 15, 30)),
        2,
        [(4, "error")],
    ),
    "hubspot.csv": (
        "HubSpot tickets",
        ("HUBSPOT-8801", "dana@acme.example", "Acme Corp", at(2026, 10, 1, 9, 15)),
        2,
        [(4, "error")],
    ),
    "jira.csv": (
        "Jira Service Management",
        ("JIRA-SUP-101", "dana@acme.example", "Acme Corp", at(2026, 10, 1, 9, 15)),
        2,
        [(4, "error")],
    ),
    "helpscout.json": (
        "Help Scout conversations",
        ("HELPSCOUT-349", "dana@acme.example", None, at(2026, 10, 1, 9, 15)),
        2,
        [(3, "error")],
    ),
    "front.csv": (
        "Front messages",
        ("FRONT-cnv_55a", "dana@acme.example", "Acme Corp", at(2026, 10, 1, 9, 15)),
        2,
        [(3, "duplicate")],
    ),
    "discourse.csv": (
        "Discourse posts",
        (
            "https://community.example.com/t/how-do-i-bulk-archive-old-projects/812/1",
            None,
            None,
            at(2026, 10, 1, 9, 15),
        ),
        2,
        [(4, "error")],
    ),
    "discourse_posts.json": (
        "Discourse posts (JSON)",
        ("DISCOURSE-9012", "dana", None, at(2026, 10, 1, 9, 15)),
        2,
        [(3, "error")],
    ),
    "typeform.csv": (
        "Typeform responses",
        ("TYPEFORM-tf01abc", None, None, at(2026, 10, 1, 9, 15)),
        2,
        [(4, "error")],
    ),
    "surveymonkey.csv": (
        "SurveyMonkey responses",
        ("SURVEYMONKEY-114239847501", "dana@acme.example", "Acme Corp", at(2026, 10, 1, 9, 15, 40)),
        2,
        [(2, "error"), (5, "error")],
    ),
    "hubspot_internal.csv": (
        "HubSpot tickets",
        ("HUBSPOT-8801", None, None, at(2026, 10, 1, 9, 15)),
        2,
        [],
    ),
    "helpscout_webhook.json": (
        "Help Scout conversations",
        ("HELPSCOUT-349", "dana@acme.example", None, at(2026, 10, 1, 9, 15)),
        2,
        [],
    ),
    "slack_channel.json": (
        "Slack channel export",
        ("SLACK-1759316400.000200", "Sam Support", None, at(2025, 10, 1, 11)),
        2,
        [(1, "skipped"), (3, "skipped")],
    ),
}


def run(store, name: str, touchpoint_id: int, **changes):
    data = (FIXTURES / name).read_bytes()
    table = open_table(data, name)
    profile = replace(
        detect_profile(table.header, table.kind, table.preview()).profile,
        default_touchpoint_id=touchpoint_id,
        **changes,
    )
    return import_file(store, data=data, filename=name, profile=profile, actor=COUNCIL)


def stored(store) -> list[Signal]:
    with store.read() as session:
        return list(session.exec(select(Signal).order_by(Signal.id)))


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_export_is_detected_as_its_tool(name):
    table = open_table((FIXTURES / name).read_bytes(), name)
    detection = detect_profile(table.header, table.kind, table.preview())
    assert detection.profile.name == EXPORTS[name][0]
    assert detection.confidence >= 0.8 and "sure" in detection.describe()


def test_every_built_in_profile_says_where_its_columns_were_checked_and_readme_shows_it():
    assert set(CHECKED) == set(BUILT_IN)
    assert {status for status, _source in CHECKED.values()} <= {VERIFIED, PARTLY, UNVERIFIED, NOT_A_TOOL}
    readme = (Path(__file__).parent.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Importing a tool's export", 1)[1].split("\n### ", 1)[0]
    for name, (status, _source) in CHECKED.items():
        assert f"| {name} | {status} |" in section, name


@pytest.mark.parametrize(
    ("header", "profile", "fields"),
    [
        # Zendesk: a view's or report's CSV says "Ticket ID" and "Requested" where the full export says
        # "Id" and "Created at".
        (
            ["Ticket ID", "Subject", "Requester", "Requested", "Priority", "Group", "Tags", "Via"],
            "Zendesk tickets",
            {"Ticket ID": "external_ref", "Requester": "reporter", "Requested": "created_at"},
        ),
        # Intercom: both spellings of the conversation's start.
        (
            ["Conversation ID", "Title or first message", "User email", "Company name", "Created at"],
            "Intercom conversations",
            {"Created at": "created_at"},
        ),
        # HubSpot: labels and internal names mixed (an export with some custom labels).
        (
            ["Ticket ID", "subject", "Create date", "hs_pipeline", "Priority"],
            "HubSpot tickets",
            {
                "Ticket ID": "external_ref",
                "subject": "title",
                "Create date": "created_at",
                "hs_pipeline": "group",
            },
        ),
    ],
)
def test_the_spellings_a_tool_writes_are_aliases_of_one_field(header, profile, fields):
    detection = detect_profile(header, "csv")
    assert detection.profile.name == profile
    assert fields.items() <= detection.profile.mapping.items()


def test_a_help_scout_conversation_maps_as_listed_or_as_a_webhook_sends_it():
    listed = detect_profile(["number", "subject", "customerEmail", "createdAt", "mailboxId", "type"], "json")
    assert listed.profile.name == "Help Scout conversations"
    assert (
        listed.profile.mapping["customerEmail"] == "reporter" and listed.profile.mapping["type"] == "channel"
    )
    # The Mailbox API's source.type wins over the conversation's type when a record has both.
    both = detect_profile(
        ["number", "subject", "preview", "createdAt", "tags", "source.type", "type"], "json"
    )
    assert both.profile.mapping["source.type"] == "channel" and "type" not in both.profile.mapping


@pytest.mark.parametrize("name", sorted(name for name in EXPORTS if not name.startswith("slack")))
def test_each_export_is_its_tool_by_a_clear_margin_over_the_next_tool(name):
    # Tools share column names (Subject, Tags, Ticket ID): the next best profile must stay well behind.
    table = open_table((FIXTURES / name).read_bytes(), name)
    (best, *_rest, profile, _fields), (runner_up, *_) = profile_scores(table.header, table.kind)[:2]
    assert profile.name == EXPORTS[name][0] and best - runner_up >= 0.3


def test_columns_the_docs_show_mean_something_else_are_not_mapped():
    # Front's "Segment" is the conversation's segment number, not a channel.
    front = open_table((FIXTURES / "front.csv").read_bytes(), "front.csv")
    assert "Segment" not in detect_profile(front.header, front.kind).profile.mapping
    # Discourse's user archive is one person's posts and has no author column: nothing is missing from it.
    discourse = open_table((FIXTURES / "discourse.csv").read_bytes(), "discourse.csv")
    assert detect_profile(discourse.header, discourse.kind).confidence == 1.0


def test_a_header_of_no_tool_is_the_generic_profile_with_guessed_columns():
    table = open_table((FIXTURES / "generic.csv").read_bytes(), "generic.csv")
    detection = detect_profile(table.header, table.kind)
    assert (detection.profile.name, detection.confidence) == ("Generic CSV", 0.0)
    assert detection.profile.mapping["Ticket"] == "external_ref"
    assert detection.profile.mapping["Tags"] == "tags" and detection.profile.mapping["Team"] == "group"


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_export_imports_reference_contact_account_and_created(journey_store, touchpoint_id, name):
    _profile, first, imported, reported = EXPORTS[name]
    report = run(journey_store, name, touchpoint_id)
    assert report.balanced and report.imported == imported
    assert [(p.row, p.outcome) for p in report.problems] == reported
    signal = stored(journey_store)[0]
    assert (signal.external_ref, signal.reporter, signal.account, signal.created_at) == first


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_reimport_of_each_export_stores_nothing_twice(journey_store, touchpoint_id, name):
    first = run(journey_store, name, touchpoint_id)
    again = run(journey_store, name, touchpoint_id)
    assert again.imported == 0 and again.count("duplicate") >= first.imported
    assert len(stored(journey_store)) == first.imported


def test_zendesk_csv_and_json_exports_of_one_ticket_are_one_signal(journey_store, touchpoint_id):
    run(journey_store, "zendesk.csv", touchpoint_id)
    again = run(journey_store, "zendesk.json", touchpoint_id)
    duplicates = [p.message for p in again.problems if p.outcome == "duplicate"]
    assert again.imported == 0 and any("(ZD-3101)" in message for message in duplicates)


def test_tags_group_and_channel_travel_with_each_row_for_placement(journey_store, touchpoint_id, monkeypatch):
    seen = []
    route = batch._route
    monkeypatch.setattr(batch, "_route", lambda rows, context: (seen.extend(rows), route(rows, context)))
    run(journey_store, "zendesk.csv", touchpoint_id)
    assert seen[0].tag_columns == {"tags": "billing checkout", "group": "Billing", "channel": "Web form"}
    seen.clear()
    run(journey_store, "helpscout.json", touchpoint_id)
    assert seen[1].tag_columns == {"tags": "import, csv", "group": "86", "channel": "chat"}


def test_bad_dates_are_row_errors_with_the_files_row_numbers(journey_store, touchpoint_id):
    report = run(journey_store, "generic.csv", touchpoint_id, default_source="ticket")
    assert [(p.row, p.outcome) for p in report.problems] == [(4, "error")]
    assert "'31/04/2026' is not a day of the calendar" in report.problems[0].message
    # 13/04/2026 on row 3 decides the column: 03/04/2026 is 3 April, not 4 March.
    assert [s.created_at for s in stored(journey_store)] == [at(2026, 4, 3), at(2026, 4, 13)]
    assert "read as day/month/year, because row 3 has 13/04/2026" in " ".join(report.notes)


def test_relative_and_blank_dates_are_errors_not_the_import_time(journey_store, touchpoint_id):
    zendesk = run(journey_store, "zendesk.csv", touchpoint_id)
    assert "'yesterday' is relative" in zendesk.problems[0].message
    freshdesk = run(journey_store, "freshdesk.csv", touchpoint_id)
    assert freshdesk.problems[0].message == "Created at: the date is blank"


def test_a_person_may_store_unreadable_dates_as_the_import_time_with_a_note_per_row(
    journey_store, touchpoint_id
):
    report = run(journey_store, "hubspot.csv", touchpoint_id, bad_dates=BAD_DATE_IMPORT_TIME)
    assert report.imported == 3 and report.problems == [] and report.balanced
    assert [(n.row, n.outcome) for n in report.row_notes] == [(4, "imported with a note")]
    assert "'next tuesday' is relative" in report.row_notes[0].message and "import time" in report.summary()
    assert "4,imported with a note" in problems_csv(report)


def test_a_profile_fixes_the_order_and_the_export_zone(journey_store, touchpoint_id):
    report = run(
        journey_store,
        "generic.csv",
        touchpoint_id,
        default_source="ticket",
        date_order="month_first",
        timezone="America/New_York",
    )
    # Month-first: 03/04 is 4 March (EST, UTC-5); 13/04 and 31/04 have no month 13 or 31: reported, not swapped.
    assert [p.row for p in report.problems] == [3, 4] and "reads only as day/month/year" in report.problems[
        0
    ].message
    assert stored(journey_store)[0].created_at == at(2026, 3, 4, 5)


def test_front_exports_us_dates_read_month_first_because_a_value_says_so(journey_store, touchpoint_id):
    report = run(journey_store, "front.csv", touchpoint_id)
    assert "read as month/day/year, because row 4 has 10/13/2026 14:30" in " ".join(report.notes)
    assert [s.created_at for s in stored(journey_store)] == [at(2026, 10, 1, 9, 15), at(2026, 10, 13, 14, 30)]


def test_the_report_download_neutralises_formulas_in_every_cell(journey_store, touchpoint_id):
    data = b'Title,Date\nSearch is slow,=HYPERLINK("http://evil.example")\n=1+1 title,+2026\n'
    profile = replace(
        BUILT_IN["Generic CSV"],
        mapping={"Title": "title", "Date": "created_at"},
        default_source="ticket",
        default_touchpoint_id=touchpoint_id,
        bad_dates=BAD_DATE_IMPORT_TIME,
    )
    report = import_file(journey_store, data=data, filename="x.csv", profile=profile, actor=COUNCIL)
    report.add(
        9, "error", "=cmd|' /C calc'!A0"
    )  # a message that opens with a formula, as a test of the writer
    cells = [cell for row in csv.reader(io.StringIO(problems_csv(report))) for cell in row]
    assert [n.row for n in report.row_notes] == [2, 3] and "'=cmd|' /C calc'!A0" in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]


def test_a_saved_profile_keeps_its_date_settings_and_refuses_an_unknown_zone(journey_store):
    saved = save_profile(
        journey_store,
        profile=replace(
            BUILT_IN["SurveyMonkey responses"], name="Our survey", built_in=False, timezone="Europe/Berlin"
        ),
        actor=COUNCIL,
    )
    assert (saved.timezone, saved.date_default, saved.bad_dates) == ("Europe/Berlin", "month_first", "error")
    from cxos.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="not a time zone"):
        save_profile(
            journey_store,
            profile=replace(
                BUILT_IN["SurveyMonkey responses"], name="Bad zone", built_in=False, timezone="Mars/Olympus"
            ),
            actor=COUNCIL,
        )
