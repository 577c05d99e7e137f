"""Reading an export file into numbered records: encoding and delimiter detection, CSV, XLSX and Slack JSON."""

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from cxos.errors import CxosError

# A CSV cell may hold a long ticket body; past this the reader refuses the record (reported, never a crash).
FIELD_LIMIT = 1_000_000
SAMPLE_CHARS = 64_000
DELIMITERS = [",", ";", "\t", "|"]
SLACK_COLUMNS = ["text", "user", "user_name", "ts", "thread_ts", "permalink", "subtype", "reply_count"]

csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))


class ImportUnreadable(CxosError):
    """The file as a whole cannot be read (empty, not a spreadsheet, not an export)."""


@dataclass(frozen=True)
class Record:
    """One row as a person would count it (the header is row 1), its cells by column, or why it could not be read."""

    number: int
    values: dict[str, str] | None
    problem: str | None = None


@dataclass
class Table:
    """An export opened for reading: its columns, how it was decoded, and its records (read lazily, re-readable)."""

    kind: str  # csv | xlsx | slack_json
    header: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    _reread: Any = field(default=None, repr=False)
    position: float = 0.0  # how far the last pass has read, 0..1 (for a progress bar)

    def records(self) -> Iterator[Record]:
        self.position = 0.0
        yield from self._reread(self)

    def preview(self, rows: int = 20) -> list[dict[str, str]]:
        out = []
        for record in self.records():
            if record.values is not None:
                out.append(record.values)
            if len(out) >= rows:
                break
        return out


def open_table(data: bytes, filename: str = "") -> Table:
    """Open an export from its bytes; the kind comes from the content first, the file name second."""
    if not data or not data.strip(b"\x00 \t\r\n\xef\xbb\xbf\xff\xfe"):
        raise ImportUnreadable("The file is empty: there is nothing to import.")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        return _open_xlsx(data)
    text, encoding = decode(data)
    if name.endswith(".json") or text.lstrip()[:1] in ("[", "{"):
        try:
            return _open_slack(text, encoding)
        except ImportUnreadable:
            if name.endswith(".json"):
                raise
    return _open_csv(text, encoding)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: a BOM wins, then UTF-16 without one, UTF-8, Windows-1252, Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    sample = data[:4000]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
        return data.decode("utf-16-le", errors="replace"), "utf-16-le"
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"  # every byte is a Latin-1 character: never fails


def sniff_delimiter(text: str) -> str:
    sample = text[:SAMPLE_CHARS]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        counts = {d: first_line.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.__getitem__)
        return best if counts[best] else ","


def unique_header(cells: list[str]) -> list[str]:
    """Blank names become 'Column N'; a repeated name gets ' (2)', so every column can be mapped."""
    seen: dict[str, int] = {}
    names = []
    for index, cell in enumerate(cells, start=1):
        name = str(cell).replace("\x00", "").strip() or f"Column {index}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _cells_to_record(number: int, header: list[str], cells: list[str]) -> Record:
    extra = [cell for cell in cells[len(header) :] if str(cell).strip()]
    if extra:
        return Record(
            number,
            None,
            f"has {len(cells)} cells but the header has {len(header)} columns (an unquoted delimiter?)",
        )
    padded = list(cells[: len(header)]) + [""] * (len(header) - len(cells))
    return Record(number, dict(zip(header, padded, strict=True)))


def _open_csv(text: str, encoding: str) -> Table:
    delimiter = sniff_delimiter(text)
    first = next(_csv_rows(text, delimiter), None)
    if first is None or first[1] is None or not any(cell.strip() for cell in first[1]):
        raise ImportUnreadable("The file has no header row: the first line should name the columns.")
    return Table(
        "csv", unique_header(first[1]), encoding, delimiter, _reread=lambda table: _csv_records(table, text)
    )


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | None, str | None, float]]:
    """(record number, cells or None, why unreadable, fraction read); blank lines are not records."""
    read = [0]
    reader = csv.reader(_lines(text, read), delimiter=delimiter)
    number = 0
    total = max(len(text), 1)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            number += 1
            yield number, None, f"could not be read as CSV ({error})", read[0] / total
            continue
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        number += 1
        yield number, cells, None, read[0] / total


def _lines(text: str, read: list[int]) -> Iterator[str]:
    """The text's lines, one at a time: io.StringIO would hold a second, four-byte-per-character copy."""
    newline = "\n" if "\n" in text[:SAMPLE_CHARS] or "\r" not in text[:SAMPLE_CHARS] else "\r"
    start = 0
    while start < len(text):
        end = text.find(newline, start)
        end = len(text) if end == -1 else end + 1
        read[0] = end
        yield text[start:end]
        start = end


def _csv_records(table: Table, text: str) -> Iterator[Record]:
    rows = _csv_rows(text, table.delimiter or ",")
    next(rows, None)  # the header
    for number, cells, problem, fraction in rows:
        table.position = fraction
        yield (
            Record(number, None, problem) if cells is None else _cells_to_record(number, table.header, cells)
        )


def _open_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook  # imported here: only XLSX imports pay for it

    try:
        # Not data_only: a formula cell is kept as typed ("=SUM(A1)"), never evaluated or trusted.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError) as error:
        raise ImportUnreadable(f"This is not a readable .xlsx workbook ({type(error).__name__}).") from None
    if first is None or not any(_cell_text(c) for c in first):
        raise ImportUnreadable("The first sheet is empty or has no header row.")
    header = unique_header([_cell_text(c) for c in first])
    return Table("xlsx", header, _reread=lambda table: _xlsx_records(table, data))


def _xlsx_records(table: Table, data: bytes) -> Iterator[Record]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=False).worksheets[0]
    total = max(sheet.max_row or 1, 1)
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        table.position = number / total
        if number == 1:
            continue
        cells = [_cell_text(c) for c in row]
        if any(cell.strip() for cell in cells):
            yield _cells_to_record(number, table.header, cells)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _open_slack(text: str, encoding: str) -> Table:
    try:
        messages = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ImportUnreadable(f"This is not valid JSON ({error}).") from None
    if isinstance(messages, dict) and isinstance(messages.get("messages"), list):
        messages = messages["messages"]
    if not isinstance(messages, list):
        raise ImportUnreadable("A Slack channel export is a JSON list of messages; this file is not.")
    if not messages:
        raise ImportUnreadable("The export has no messages: there is nothing to import.")
    return Table(
        "slack_json", list(SLACK_COLUMNS), encoding, _reread=lambda table: _slack_records(table, messages)
    )


def _slack_records(table: Table, messages: list[Any]) -> Iterator[Record]:
    for number, message in enumerate(messages, start=1):
        table.position = number / len(messages)
        if not isinstance(message, dict):
            yield Record(number, None, "is not a Slack message (expected an object with text and ts)")
            continue
        user_profile = message.get("user_profile")
        profile = user_profile if isinstance(user_profile, dict) else {}
        values = {column: _json_text(message.get(column)) for column in SLACK_COLUMNS}
        values["user_name"] = _json_text(
            profile.get("real_name")
            or profile.get("display_name")
            or message.get("user_name")
            or message.get("username")
        )
        yield Record(number, values)


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
