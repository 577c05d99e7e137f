"""Hostile files: every row imported, a duplicate, skipped or reported, even where the reader gives up."""

import codecs
import csv
import io
import itertools
import json
import zipfile
from dataclasses import replace

import openpyxl
import pytest
from openpyxl import Workbook

from cxos.importers import reading
from cxos.importers.batch import import_table
from cxos.importers.profiles import BUILT_IN
from cxos.importers.reading import ImportUnreadable, open_table, read_export_file
from cxos.importers.report import problems_csv
from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.store.store import Store
from tests.conftest import ADMIN, COUNCIL

HEADER = "Title,Ticket"


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'hostile.db'}", create=True)
    load_journey_template(store, actor=ADMIN)
    yield store
    store.dispose()


def run(store, data: bytes, name: str = "export.csv", *, dry_run: bool = True):
    table = open_table(data, name)
    with store.read() as session:
        touchpoint_id = touchpoint_options(session)[0].id
    if table.kind == "slack_json":
        profile = replace(BUILT_IN["Slack channel export"], default_touchpoint_id=touchpoint_id)
    else:
        profile = replace(
            BUILT_IN["Generic CSV"],
            mapping={"Title": "title", "Ticket": "external_ref"},
            default_source="ticket",
            default_touchpoint_id=touchpoint_id,
        )
    report = import_table(store, table=table, profile=profile, actor=COUNCIL, label=name, dry_run=dry_run)
    assert report.balanced and report.unaccounted == 0, report.summary()
    return report


def csv_rows(count: int, *, first: int = 2, tag: str = "T") -> list[str]:
    """Data lines numbered as a person counts rows (the header is row 1)."""
    return [f"Row number {n},{tag}-{n}" for n in range(first, first + count)]


def csv_file(lines: list[str]) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


# ---------------------------------------------------------------- CSV the parser gives up on


def test_an_unclosed_quote_in_row_501_of_1000_reports_and_counts_every_row_after_it(hostile_store):
    lines = csv_rows(999, tag="Q")  # rows 2..1000, stored: their own references
    lines[499] = '"' + lines[499]  # row 501 opens a quote that is never closed
    report = run(hostile_store, csv_file(lines), dry_run=False)
    assert (report.rows_read, report.imported) == (999, 499)
    [problem] = report.problems
    assert (problem.row, problem.rows, problem.outcome) == (501, 500, "error")
    assert "rows 501 to the end" in problem.message and "unclosed quote" in problem.message
    assert "line 501" in problem.message
    assert report.count("error") == 500 and "499 of 999 rows" in report.summary()
    assert report.as_dict()["problems"][0]["rows"] == 500 and report.as_dict()["balanced"]
    assert "rows 501 to the end" in problems_csv(report)


def test_an_unclosed_quote_on_the_last_line_is_that_rows_error():
    table = open_table(csv_file([*csv_rows(3), '"Row number 5,T-5']), "x.csv")
    records = list(table.records())
    assert [r.number for r in records] == [2, 3, 4, 5] and records[-1].rows == 1
    assert "unclosed quote in the row at line 5" in records[-1].problem


def test_an_unclosed_quote_in_the_header_refuses_the_file():
    with pytest.raises(ImportUnreadable, match="header row cannot be read: an unclosed quote"):
        open_table(b'"Title,Ticket\nRow number 2,T-2\n', "x.csv")


def test_a_quoted_cell_over_several_lines_is_still_one_row():
    data = csv_file(['"Row number 2\nwith a second line",T-2', *csv_rows(2, first=3)])
    records = list(open_table(data, "x.csv").records())
    assert [(r.number, r.rows) for r in records] == [(2, 1), (3, 1), (4, 1)]
    assert records[0].values["Title"] == "Row number 2\nwith a second line"


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-be", "utf-32-le"])
def test_utf32_is_read_without_losing_or_inventing_a_row(hostile_store, encoding):
    text = "\n".join([HEADER, *csv_rows(999)]) + "\n"
    data = text.encode(encoding)
    if encoding != "utf-32":  # the codec named by its byte order writes no BOM: give it the one Excel writes
        data = (codecs.BOM_UTF32_BE if encoding.endswith("be") else codecs.BOM_UTF32_LE) + data
    report = run(hostile_store, data)
    assert (report.encoding, report.rows_read, report.imported, report.problems) == ("utf-32", 999, 999, [])


def test_utf32_without_a_bom_does_not_invent_a_row_of_nuls(hostile_store):
    report = run(hostile_store, ("\n".join([HEADER, *csv_rows(20)]) + "\n").encode("utf-32-le"))
    assert (report.rows_read, report.imported) == (20, 20)


def test_a_single_line_longer_than_the_line_cap_is_refused_at_once():
    line = "a," * (reading.MAX_LINE_CHARS // 2 + 1)  # one line, no line end: 1,000,002 characters
    with pytest.raises(
        ImportUnreadable, match=r"line 1 is 1,000,002 characters long, more than the 1,000,000"
    ):
        open_table(line.encode(), "x.csv")


def test_a_data_line_longer_than_the_line_cap_is_its_rows_error_and_the_next_rows_are_read(hostile_store):
    long_row = "Row number 3," + "x" * reading.MAX_LINE_CHARS
    report = run(hostile_store, csv_file([*csv_rows(1), long_row, *csv_rows(2, first=4)]))
    assert (report.rows_read, report.imported) == (4, 3)
    [problem] = report.problems
    assert problem.row == 3 and "line 3 is 1,000,014 characters long" in problem.message


def test_a_long_line_inside_a_quoted_cell_reports_that_row_and_keeps_the_rest_in_step(hostile_store):
    long_cell = '"Row number 3\n' + "x" * (reading.MAX_LINE_CHARS + 5) + '\nend of the cell",T-3'
    report = run(hostile_store, csv_file([*csv_rows(1), long_cell, *csv_rows(2, first=4)]))
    assert (report.rows_read, report.imported) == (4, 3)
    assert [(p.row, "line 4 is" in p.message) for p in report.problems] == [(3, True)]


def test_the_delimiter_sniffer_sees_a_bounded_sample(monkeypatch):
    """csv.Sniffer's quote guess is quadratic: a hostile header once kept it busy for minutes."""
    seen = []
    real = csv.Sniffer.sniff

    def sniff(self, sample, delimiters=None):
        seen.append(len(sample))
        return real(self, sample, delimiters)

    monkeypatch.setattr(csv.Sniffer, "sniff", sniff)
    hostile = '",' * 40_000 + "\nx\n"
    with pytest.raises(ImportUnreadable):
        open_table(hostile.encode(), "x.csv")  # 40,001 columns: refused by the column cap
    assert seen and max(seen) <= reading.SNIFF_CHARS


def test_a_header_with_more_columns_than_excel_allows_is_refused():
    header = ",".join(f"c{n}" for n in range(reading.MAX_COLUMNS + 1))
    with pytest.raises(ImportUnreadable, match="16,385 columns; an import reads at most 16,384"):
        open_table(f"{header}\n1\n".encode(), "x.csv")


# ---------------------------------------------------------------- caps


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(monkeypatch, tmp_path):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 1_000)
    data = csv_file(csv_rows(100))
    with pytest.raises(ImportUnreadable, match=r"at most 0 MB: split it"):
        open_table(data, "x.csv")
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    monkeypatch.setattr(
        type(path), "read_bytes", lambda self: pytest.fail("read before its size was checked")
    )
    with pytest.raises(ImportUnreadable, match="split it into smaller files"):
        read_export_file(path)


def test_rows_past_the_row_cap_are_reported_and_counted(hostile_store, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 10)
    report = run(hostile_store, csv_file(csv_rows(25)))
    assert (report.rows_read, report.imported) == (25, 10)
    [problem] = report.problems
    assert (problem.row, problem.rows) == (12, 15) and "at most 10 rows" in problem.message


def test_a_file_of_exactly_the_row_cap_has_no_tail(hostile_store, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 10)
    report = run(hostile_store, csv_file(csv_rows(10)))
    assert (report.rows_read, report.imported, report.problems) == (10, 10, [])


def test_slack_messages_past_the_row_cap_are_reported_and_counted(hostile_store, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    messages = [{"text": f"Message number {n} about SSO", "ts": f"17593164{n:02d}.000100"} for n in range(8)]
    report = run(hostile_store, json.dumps(messages).encode(), "channel.json")
    assert (report.rows_read, report.imported) == (8, 3)
    assert [(p.row, p.rows) for p in report.problems] == [(4, 5)]


def fake_clock(monkeypatch, seconds_per_call: float = 1.0) -> None:
    """Each look at the clock finds it a second later: the limit is reached after a known amount of work."""
    ticks = itertools.count()
    monkeypatch.setattr(reading, "monotonic", lambda: next(ticks) * seconds_per_call)


def test_a_csv_that_takes_too_long_to_read_reports_and_counts_the_rest(hostile_store, monkeypatch):
    fake_clock(monkeypatch)
    monkeypatch.setattr(reading, "READ_SECONDS", 20)
    report = run(hostile_store, csv_file(csv_rows(100)))
    assert report.rows_read == 100 and 0 < report.imported < 100
    [problem] = report.problems
    assert problem.rows == 100 - report.imported and "longer than the 20 s" in problem.message


def test_time_spent_storing_rows_does_not_count_against_the_read_limit(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(reading, "monotonic", lambda: now[0])
    monkeypatch.setattr(reading, "READ_SECONDS", 5)
    records = open_table(csv_file(csv_rows(50)), "x.csv").records()
    for record in records:
        assert record.values is not None, record.problem
        now[0] += 60  # a slow database between rows: the reader is paused meanwhile


# ---------------------------------------------------------------- XLSX


def workbook(rows: int = 4) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Title", "Ticket"])
    for n in range(2, rows + 2):
        sheet.append([f"Row number {n}", f"T-{n}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_part(data: bytes, part: str, content: str | bytes) -> bytes:
    """The workbook with one of its parts replaced, as a hostile or broken exporter would write it."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, content if item.filename == part else source.read(item.filename))
    return out.getvalue()


def part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode()


SHEET, BOOK = "xl/worksheets/sheet1.xml", "xl/workbook.xml"
# Ten entities, each ten of the one before: "&lol9;" expands to 10**9 "lol"s (3 GB) if anything expands it.
BILLION_LAUGHS = '<!ENTITY lol0 "lol">' + "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
)


def with_dtd(xml: str, root: str, entities: str) -> str:
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{entities}]>\n' + xml.removeprefix(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    )


def test_the_workbook_parser_is_defusedxml():
    assert openpyxl.DEFUSEDXML, "openpyxl parses without defusedxml: pip install -r requirements.txt"


@pytest.mark.parametrize("where", [SHEET, BOOK])
def test_a_billion_laughs_workbook_is_refused_as_a_file_error(where):
    good = workbook()
    xml = part(good, where)
    hostile = with_dtd(
        xml.replace("Row number 2", "&lol9;").replace('name="Sheet"', 'name="&lol9;"'),
        "worksheet" if where == SHEET else "workbook",
        BILLION_LAUGHS,
    )
    assert "&lol9;" in hostile
    with pytest.raises(ImportUnreadable, match="declares entities .*billion-laughs and XXE"):
        open_table(with_part(good, where, hostile), "x.xlsx")


@pytest.mark.parametrize("where", [SHEET, BOOK])
def test_an_xxe_workbook_is_refused_and_never_reads_the_file_it_names(tmp_path, where):
    secret = tmp_path / "secret.txt"
    secret.write_text("the admin password is hunter2")
    good = workbook()
    xml = part(good, where)
    hostile = with_dtd(
        xml.replace("Row number 2", "&xxe;").replace('name="Sheet"', 'name="&xxe;"'),
        "worksheet" if where == SHEET else "workbook",
        f'<!ENTITY xxe SYSTEM "{secret.as_uri()}">',
    )
    assert "&xxe;" in hostile
    with pytest.raises(ImportUnreadable, match="declares entities") as refused:
        open_table(with_part(good, where, hostile), "x.xlsx")
    assert "hunter2" not in str(refused.value)


def test_workbook_xml_broken_at_open_is_a_file_error():
    good = workbook()
    with pytest.raises(ImportUnreadable, match=r"cannot be read: its XML is broken \(.*line"):
        open_table(with_part(good, BOOK, part(good, BOOK)[:200]), "x.xlsx")


def test_sheet_xml_broken_half_way_reports_and_counts_the_rows_from_the_break(hostile_store):
    good = workbook(rows=400)
    sheet_xml = part(good, SHEET)
    broken = with_part(good, SHEET, sheet_xml[: len(sheet_xml) * 3 // 4])
    report = run(hostile_store, broken, "x.xlsx")
    assert report.rows_read == 400 and 0 < report.imported < 400  # counted by the sheet's stated size
    [problem] = report.problems
    assert problem.rows == 400 - report.imported and "XML is broken" in problem.message


def test_a_sheet_whose_stated_size_is_too_small_loses_no_rows(hostile_store):
    good = workbook(rows=6)
    lying = with_part(
        good, SHEET, part(good, SHEET).replace('<dimension ref="A1:B7"', '<dimension ref="A1:A2"')
    )
    assert lying != good
    report = run(hostile_store, lying, "x.xlsx")
    assert (report.rows_read, report.imported) == (6, 6)


def test_a_workbook_that_unpacks_past_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_XLSX_UNPACKED_BYTES", 2_000)
    with pytest.raises(ImportUnreadable, match="unpacks to .* MB, more than the"):
        open_table(workbook(rows=200), "x.xlsx")


def test_xlsx_rows_past_the_row_cap_are_reported_and_counted(hostile_store, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 5)
    report = run(hostile_store, workbook(rows=12), "x.xlsx")
    assert (report.rows_read, report.imported) == (12, 5)
    assert [(p.row, p.rows) for p in report.problems] == [(7, 7)]


def test_an_xlsx_that_takes_too_long_to_read_reports_and_counts_the_rest(hostile_store, monkeypatch):
    fake_clock(monkeypatch)
    monkeypatch.setattr(reading, "READ_SECONDS", 20)
    report = run(hostile_store, workbook(rows=100), "x.xlsx")
    assert report.rows_read == 100 and 0 < report.imported < 100
    assert "longer than the 20 s" in report.problems[0].message


def test_xlsx_needs_defusedxml(monkeypatch):
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(ImportUnreadable, match="needs the defusedxml package"):
        open_table(workbook(), "x.xlsx")
