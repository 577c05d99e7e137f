"""Bad input never crashes the importer, and every row read is imported, a duplicate, skipped or reported."""

import csv
import io
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxos.importers.batch import import_table
from cxos.importers.mapping import Profile
from cxos.importers.profiles import BUILT_IN
from cxos.importers.reading import ImportUnreadable, open_table
from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.store.store import Store
from tests.conftest import ADMIN, COUNCIL

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NASTY_CELLS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "=1+1",
            "+cmd|' /C calc'!A0",
            "-2",
            "@SUM(A1)",
            "\t=x",
            '"quoted, with comma"',
            "a\nb\r\nc",
            'he said ""hi""',
            "x" * 201,
            "y" * 10_001,
            "\x00nul",
            "ZD-1",
            "ZD-1",
            ";",
            "|",
            "\t",
        ]
    ),
)
HEADER = ["Title", "Details", "Ticket", "Created at", "Priority", "Touchpoint"]


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    load_journey_template(store, actor=ADMIN)
    yield store
    store.dispose()


def profile_for(store: Store) -> Profile:
    with store.read() as session:
        touchpoint_id = touchpoint_options(session)[0].id
    return replace(
        BUILT_IN["Generic CSV"],
        default_source="ticket",
        default_touchpoint_id=touchpoint_id,
        mapping={
            "Title": "title",
            "Details": "description",
            "Ticket": "external_ref",
            "Created at": "created_at",
            "Priority": "severity",
            "Touchpoint": "touchpoint",
        },
    )


def import_everything(store: Store, data: bytes, name: str, *, dry_run: bool):
    """Open and import; an unreadable file is refused as a whole with a message, never a crash."""
    try:
        table = open_table(data, name)
    except ImportUnreadable as refused:
        assert str(refused)
        return None
    profile = (
        profile_for(store)
        if table.kind != "slack_json"
        else replace(
            BUILT_IN["Slack channel export"], default_touchpoint_id=profile_for(store).default_touchpoint_id
        )
    )
    profile = replace(
        profile,
        mapping={c: f for c, f in profile.mapping.items() if c in table.header} or {table.header[0]: "title"},
    )
    return import_table(store, table=table, profile=profile, actor=COUNCIL, label=name, dry_run=dry_run)


def assert_every_row_accounted_for(report) -> None:
    rows = [problem.row for problem in report.problems]
    assert report.imported + len(rows) == report.rows_read
    assert len(set(rows)) == len(rows), "a row has one outcome"
    assert all(problem.message for problem in report.problems)


@FUZZ
@given(data=st.binary(max_size=2_000), name=st.sampled_from(["x.csv", "x.json", "x.xlsx", "x.txt"]))
def test_arbitrary_bytes_never_crash(fuzz_store, data, name):
    report = import_everything(fuzz_store, data, name, dry_run=True)
    if report is not None:
        assert_every_row_accounted_for(report)


@FUZZ
@given(
    rows=st.lists(st.lists(NASTY_CELLS, min_size=0, max_size=8), max_size=25),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoted=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    dry_run=st.booleans(),
)
def test_ragged_quoted_formula_and_huge_cells_are_imported_or_reported(
    fuzz_store, rows, delimiter, quoted, encoding, dry_run
):
    out = io.StringIO()
    if quoted:
        csv.writer(out, delimiter=delimiter).writerows([HEADER, *rows])
    else:  # hand-made exports: nothing quoted, delimiters and newlines inside cells break the shape
        out.write("\n".join(delimiter.join(row) for row in [HEADER, *rows]))
    data = out.getvalue().encode(encoding, errors="replace")
    report = import_everything(fuzz_store, data, "export.csv", dry_run=dry_run)
    assert report is not None
    assert_every_row_accounted_for(report)


@FUZZ
@given(
    messages=st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {"text": NASTY_CELLS, "ts": st.sampled_from(["1759316400.000200", "1759316500.1", "x", ""])},
                optional={
                    "thread_ts": st.sampled_from(["1759316400.000200", "1"]),
                    "subtype": st.sampled_from(["channel_join", "bot_message"]),
                    "user_profile": st.one_of(st.none(), st.just({"real_name": "Sam"})),
                },
            ),
            st.integers(),
            st.none(),
            st.text(max_size=5),
        ),
        min_size=1,
        max_size=15,
    )
)
def test_odd_slack_exports_are_imported_or_reported(fuzz_store, messages):
    import json

    report = import_everything(fuzz_store, json.dumps(messages).encode(), "channel.json", dry_run=False)
    assert report is not None and report.rows_read == len(messages)
    assert_every_row_accounted_for(report)
