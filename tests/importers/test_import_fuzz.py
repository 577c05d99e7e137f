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
from cxos.importers.reading import SAMPLE_CHARS, ImportUnreadable, decode, open_table
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
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}", create=True)
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
    mapping = {c: f for c, f in profile.mapping.items() if c in table.header}
    if not {"title", "message"} & set(mapping.values()):
        mapping[table.header[0]] = "title"
    profile = replace(profile, mapping=mapping)
    return import_table(store, table=table, profile=profile, actor=COUNCIL, label=name, dry_run=dry_run)


def assert_every_row_accounted_for(report) -> None:
    rows = [problem.row for problem in report.problems]
    assert report.imported + sum(problem.rows for problem in report.problems) == report.rows_read
    assert report.balanced and "do not add up" not in report.summary()
    assert len(set(rows)) == len(rows), "a row has one outcome"
    assert all(problem.message and problem.rows >= 1 for problem in report.problems)


@FUZZ
@given(data=st.binary(max_size=2_000), name=st.sampled_from(["x.csv", "x.json", "x.xlsx", "x.txt"]))
def test_arbitrary_bytes_never_crash(fuzz_store, data, name):
    report = import_everything(fuzz_store, data, name, dry_run=True)
    if report is not None:
        assert_every_row_accounted_for(report)


# Bytes that make a CSV parser work: quotes, delimiters, line ends of every kind, NULs, BOMs, broken UTF-8.
CSV_BYTES = st.lists(
    st.sampled_from(
        [
            b'"',
            b",",
            b";",
            b"\t",
            b"|",
            b"\n",
            b"\r",
            b"\r\n",
            b"\x00",
            b" ",
            b"Title",
            b"abc",
            b"Ticket",
            b"ZD-1",
        ]
        + [
            b"\xef\xbb\xbf",
            b"\xff\xfe",
            b"\xfe\xff",
            b"\xff\xfe\x00\x00",
            b"\xe2\x82",
            b"\xc3\xa9",
            b"\x81",
            b"=1+1",
        ]
    ),
    max_size=200,
).map(b"".join)


def filled_lines(data: bytes, delimiter: str) -> int:
    """Lines with something on them (a delimiter counts: it makes cells), split as the reader splits them."""
    text, _encoding = decode(data)
    newline = "\n" if "\n" in text[:SAMPLE_CHARS] or "\r" not in text[:SAMPLE_CHARS] else "\r"
    return sum(1 for line in text.split(newline) if line.replace("\x00", "").strip() or delimiter in line)


@FUZZ
@given(data=st.one_of(CSV_BYTES, st.binary(max_size=500)))
def test_any_bytes_given_as_a_csv_are_counted_row_by_row(fuzz_store, data):
    """For any bytes named .csv the import never raises, and every row it reads has exactly one outcome."""
    report = import_everything(fuzz_store, data, "export.csv", dry_run=True)
    if report is None:
        return
    assert_every_row_accounted_for(report)
    if report.kind == "csv":  # the header and each row take a line of their own: none is counted twice
        assert report.rows_read + 1 <= filled_lines(data, report.delimiter)


@FUZZ
@given(
    titles=st.lists(
        st.text(alphabet="abcdefghij KLMNOP-0123456789", min_size=3, max_size=30), min_size=1, max_size=60
    ),
    broken=st.data(),
)
def test_an_unclosed_quote_anywhere_loses_no_row(fuzz_store, titles, broken):
    """One-line rows, a cell opening a quote it never closes: the rows read are every row of the file."""
    lines = [f"{title.strip() or 'blank'},Q-{n}" for n, title in enumerate(titles)]
    row = broken.draw(st.integers(0, len(lines) - 1))
    cell = broken.draw(st.sampled_from([0, 1]))
    cells = lines[row].split(",")
    cells[cell] = '"' + cells[cell]
    lines[row] = ",".join(cells)
    report = import_everything(
        fuzz_store, ("Title,Ticket\n" + "\n".join(lines)).encode(), "q.csv", dry_run=True
    )
    assert report is not None and report.rows_read == len(lines)
    assert_every_row_accounted_for(report)
    assert report.problems[-1].row == row + 2 and report.problems[-1].rows == len(lines) - row


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
