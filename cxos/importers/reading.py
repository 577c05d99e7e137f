"""Reading an export file into numbered records: encoding and delimiter detection, CSV, XLSX, Slack and other JSON."""

import codecs
import csv
import io
import itertools
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from time import monotonic
from typing import Any
from xml.etree.ElementTree import ParseError

from cxos.errors import CxosError

# What one import reads at most. A file past a cap is refused, or the rows past it are reported (and counted)
# with the cap's name; change them here. Each bounds time or memory against a hostile or broken file.
MAX_FILE_BYTES = 100 * 1024 * 1024  # refused before it is read
MAX_ROWS = 1_000_000  # data rows (not the header); the rows after are reported, counted, not read
MAX_LINE_CHARS = 1_000_000  # one line of a CSV; a longer line is its row's error, never held in memory
FIELD_LIMIT = 1_000_000  # one CSV cell, a quoted one across lines too (a long ticket body fits)
MAX_COLUMNS = 16_384  # Excel's own limit
MAX_XLSX_UNPACKED_BYTES = 1024 * 1024 * 1024  # a workbook's parts unpacked: refuses zip bombs
READ_SECONDS = 300  # time spent reading one file; the time spent storing its rows does not count
# csv.Sniffer's quote guess is quadratic in its sample: 64,000 hostile characters took minutes, 8,000 ~1 s.
SNIFF_CHARS = 8_000
SAMPLE_CHARS = 64_000
CHUNK_BYTES = 1024 * 1024  # a CSV is decoded a chunk at a time: memory stays the file's bytes plus a chunk
DELIMITERS = [",", ";", "\t", "|"]
# A byte that is not blank, NUL or part of a BOM: searched for, not stripped, so the file is not copied.
_VISIBLE_BYTE = re.compile(rb"[^\x00 \t\r\n\xef\xbb\xbf\xff\xfe]")
SLACK_COLUMNS = ["text", "user", "user_name", "ts", "thread_ts", "permalink", "subtype", "reply_count"]

csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))


class ImportUnreadable(CxosError):
    """The file as a whole cannot be read (empty, too large, not a spreadsheet, not an export)."""


@dataclass(frozen=True)
class Record:
    """One row as a person would count it (the header is row 1), its cells by column, or why it could not be read.

    `rows` is how many rows of the file it stands for: more than one only when the reader gave up on the
    rest of the file (an unclosed quote, a cap, the time limit), so that those rows are counted, not lost.
    """

    number: int
    values: dict[str, str] | None
    problem: str | None = None
    rows: int = 1


@dataclass
class Table:
    """An export opened for reading: its columns, how it was decoded, and its records (read lazily, re-readable)."""

    kind: str  # csv | xlsx | slack_json | json
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


def read_export_file(path: Path) -> bytes:
    """A file's bytes, refused by its size before a byte of it is read."""
    _check_size(path.stat().st_size)
    return path.read_bytes()


def open_table(data: bytes, filename: str = "") -> Table:
    """Open an export from its bytes; the kind comes from the content first, the file name second."""
    _check_size(len(data))
    if not _VISIBLE_BYTE.search(data):
        raise ImportUnreadable("The file is empty: there is nothing to import.")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith((".xlsx", ".xlsm")):
        return _open_xlsx(data)
    encoding = detect_encoding(data)
    if name.endswith(".json") or _first_visible(data, encoding) in ("[", "{"):
        try:
            return _open_json("".join(_text_chunks(data, encoding)), encoding)
        except ImportUnreadable:
            if name.endswith(".json"):
                raise
    return _open_csv(data, encoding)


def _check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise ImportUnreadable(
            f"The file is {size / 1024**2:,.1f} MB; an import reads at most "
            f"{MAX_FILE_BYTES / 1024**2:,.0f} MB: split it into smaller files and import each."
        )


def decode(data: bytes) -> tuple[str, str]:
    """The whole text and the encoding it was read with (see detect_encoding)."""
    encoding = detect_encoding(data)
    return "".join(_text_chunks(data, encoding)), encoding


def detect_encoding(data: bytes) -> str:
    """A BOM wins (UTF-32 before UTF-16: its BOM starts with UTF-16's), then UTF-16 without one, UTF-8,
    Windows-1252, Latin-1 (every byte is a Latin-1 character: never fails). Checked a chunk at a time."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:4000]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
        return "utf-16-le"
    for encoding in ("utf-8", "cp1252"):
        if _decodes(data, encoding):
            return encoding
    return "latin-1"


def _decodes(data: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), CHUNK_BYTES):
            decoder.decode(view[start : start + CHUNK_BYTES])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _text_chunks(data: bytes, encoding: str, where: list[float] | None = None) -> Iterator[str]:
    """The text a chunk at a time; `where[0]` follows the fraction of the bytes decoded so far."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    view = memoryview(data)
    for start in range(0, len(data), CHUNK_BYTES):
        if where is not None:
            where[0] = min(start + CHUNK_BYTES, len(data)) / len(data)
        if text := decoder.decode(view[start : start + CHUNK_BYTES]):
            yield text
    if tail := decoder.decode(b"", final=True):
        yield tail


def _first_visible(data: bytes, encoding: str) -> str:
    for chunk in _text_chunks(data, encoding):
        if stripped := chunk.lstrip():
            return stripped[0]
    return ""


def sniff_delimiter(text: str) -> str:
    sample = text[:SAMPLE_CHARS]
    sniffed = sample[:SNIFF_CHARS]
    if len(sample) > SNIFF_CHARS and "\n" in sniffed:
        sniffed = sniffed[: sniffed.rindex("\n") + 1]  # whole lines: the sniffer compares lines
    try:
        return csv.Sniffer().sniff(sniffed, delimiters="".join(DELIMITERS)).delimiter
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


def _checked_header(cells: list[str]) -> list[str]:
    if len(cells) > MAX_COLUMNS:
        raise ImportUnreadable(
            f"The header has {len(cells):,} columns; an import reads at most {MAX_COLUMNS:,} "
            "(Excel's own limit)."
        )
    return unique_header(cells)


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


def _blank(text: str) -> bool:
    # A NUL is what an encoding read wrongly leaves behind; a line of them holds no row.
    return not text.replace("\x00", "").strip()


class _ReadClock:
    """The time a reader spends reading, between its yields: the time spent storing rows is not counted."""

    def __init__(self) -> None:
        self.spent = 0.0
        self._since = monotonic()

    def resume(self) -> None:
        self._since = monotonic()

    def pause(self) -> None:
        self.spent += monotonic() - self._since

    def over(self) -> bool:
        return self.spent + monotonic() - self._since > READ_SECONDS


def _tail(number: int, rows: int, why: str) -> Record:
    """The rows a reader could not read, from row `number` to the end of the file, as one reported record."""
    first = f"rows {number:,} to the end ({rows:,} rows)" if rows > 1 else f"row {number:,}"
    return Record(number, None, f"{first} not read: {why}", rows=rows)


def _time_limit_why() -> str:
    return f"reading this file took longer than the {READ_SECONDS:,} s an import may spend reading one file"


def _row_cap_why() -> str:
    return f"an import reads at most {MAX_ROWS:,} rows; split the file and import the rest on its own"


# ---------------------------------------------------------------- CSV


# A line too long to hold is handed to csv.reader as this, with its number and length: a Unicode noncharacter
# no export holds, so the row it lands in (alone, or inside a quoted cell) is found and reported.
LONG_LINE_MARK = "\ufdd0cxos-long-line"
_LONG_LINE = re.compile(f"{LONG_LINE_MARK}(\\d+):(\\d+){LONG_LINE_MARK}")


class _Lines:
    """The text's lines for csv.reader, split a chunk at a time; a line past MAX_LINE_CHARS is not held.

    csv.reader pulls the lines through C iterators (a Python __next__ per line costs ~20% of a large import).
    `ended` turns true only when the reader asks for a line after the last one.
    """

    def __init__(self, data: bytes, encoding: str, newline: str):
        self.where = [0.0]
        self.ended = False
        self.long_lines = 0
        self._newline = newline
        lines = itertools.chain.from_iterable(self._split(_text_chunks(data, encoding, self.where)))
        self.source = itertools.chain(lines, self._end())

    def rest(self) -> int:
        """Read the lines nobody has asked for yet: how many of them are not blank."""
        return sum(not _blank(line) for line in self.source)

    def _end(self) -> Iterator[str]:
        self.ended = True
        yield from ()

    def _split(self, chunks: Iterator[str]) -> Iterator[list[str]]:
        newline, number = self._newline, 0
        carry, skipped = "", 0  # the start of a line that ends in a later chunk; or the length of a long one
        for chunk in chunks:
            parts = chunk.split(newline)
            last = parts.pop()  # what follows the chunk's last line end
            if parts:
                parts[0] = (
                    self._long(number + 1, skipped + len(parts[0]) + 1) if skipped else carry + parts[0]
                )
                carry, skipped = "", 0
                if max(map(len, parts)) > MAX_LINE_CHARS:
                    parts = [
                        self._long(number + i, len(p) + 1) if len(p) > MAX_LINE_CHARS else p
                        for i, p in enumerate(parts, start=1)
                    ]
                number += len(parts)
                yield [part + newline for part in parts]
            if skipped:
                skipped += len(last)
            elif len(carry) + len(last) > MAX_LINE_CHARS:
                carry, skipped = "", len(carry) + len(last)
            else:
                carry += last
        if skipped or carry:
            yield [self._long(number + 1, skipped) if skipped else carry]

    def _long(self, number: int, length: int) -> str:
        """The mark that stands for line `number`, `length` characters with its line end."""
        self.long_lines += 1
        return f"{LONG_LINE_MARK}{number}:{length}{LONG_LINE_MARK}"


def _long_line_problem(cells: list[str]) -> str | None:
    for cell in cells:
        if found := _LONG_LINE.search(cell):
            number, length = int(found[1]), int(found[2])
            return f"line {number:,} is {length:,} characters long, more than the {MAX_LINE_CHARS:,} a line may hold"
    return None


# (row number, cells or None, why it was not read, how many rows it stands for): a tuple, built per row.
_CsvRow = tuple[int, list[str] | None, str | None, int]


def _open_csv(data: bytes, encoding: str) -> Table:
    sample = ""
    for chunk in _text_chunks(data, encoding):
        sample += chunk
        if len(sample) >= SAMPLE_CHARS:
            break
    sample = sample[:SAMPLE_CHARS]
    delimiter = sniff_delimiter(sample)
    newline = "\n" if "\n" in sample or "\r" not in sample else "\r"
    _number, cells, problem, _rows = next(_csv_rows(data, encoding, delimiter, newline), (0, [], None, 0))
    if cells is None:
        raise ImportUnreadable(f"The header row cannot be read: {problem}.")
    if not any(cell.strip() for cell in cells):
        raise ImportUnreadable("The file has no header row: the first line should name the columns.")
    return Table(
        "csv",
        _checked_header(cells),
        encoding,
        delimiter,
        _reread=lambda table: _csv_records(table, data, encoding, newline),
    )


def _csv_rows(
    data: bytes, encoding: str, delimiter: str, newline: str, on_read: Callable[[float], None] | None = None
) -> Iterator[_CsvRow]:
    """The file's rows (the header is row 1; blank lines are not rows), each read or with why it was not.

    Every line is in a row or blank: where the reader cannot go on (an unclosed quote runs to the end of the
    file, a cap, the time limit) the lines left are one last row that counts them.
    """
    lines = _Lines(data, encoding, newline)
    reader = csv.reader(lines.source, delimiter=delimiter)
    number, spent, since = 0, 0.0, monotonic()  # the time reading, between yields
    while True:
        if number > MAX_ROWS or spent + monotonic() - since > READ_SECONDS:
            if left := lines.rest():
                why = _row_cap_why() if number > MAX_ROWS else _time_limit_why()
                yield number + 1, None, why, left
            return
        first_line = reader.line_num + 1
        cells: list[str] | None
        problem: str | None
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            cells, problem = None, f"could not be read as CSV ({error})"
        else:
            problem = _long_line_problem(cells) if lines.long_lines else None
        if lines.ended:
            # The reader asked past the last line inside a row: a quote opened there is never closed.
            yield _unclosed_quote(number + 1, first_line, _filled_lines(data, encoding, newline, first_line))
            return
        if cells is not None and (not cells or (len(cells) == 1 and _blank(cells[0]))):
            continue
        number += 1
        if on_read:
            on_read(lines.where[0])
        spent += monotonic() - since
        yield (number, None, problem, 1) if problem else (number, cells, None, 1)
        since = monotonic()


def _filled_lines(data: bytes, encoding: str, newline: str, first_line: int) -> int:
    """How many lines from `first_line` to the end are not blank (read again: only a broken file needs it)."""
    lines = _Lines(data, encoding, newline)
    return sum(not _blank(line) for line in itertools.islice(lines.source, first_line - 1, None))


def _unclosed_quote(number: int, line: int, rows: int) -> _CsvRow:
    why = f"an unclosed quote in the row at line {line:,} runs to the end of the file"
    if rows > 1:
        why += ", so the lines after it cannot be told apart into rows: close the quote and import again"
    return number, None, why, max(rows, 1)


def _csv_records(table: Table, data: bytes, encoding: str, newline: str) -> Iterator[Record]:
    def follow(fraction: float) -> None:
        table.position = fraction

    rows = _csv_rows(data, encoding, table.delimiter or ",", newline, follow)
    next(rows, None)  # the header
    for number, cells, problem, count in rows:
        if cells is not None:
            yield _cells_to_record(number, table.header, cells)
        elif count > 1:
            yield _tail(number, count, problem or "")
        else:
            yield Record(number, None, problem)


# ---------------------------------------------------------------- XLSX


def _open_xlsx(data: bytes) -> Table:
    _check_workbook(data)
    try:
        sheet, _claimed = _first_sheet(data)
        first = next(sheet.iter_rows(values_only=True), None)
    except Exception as error:  # whatever openpyxl's parsers meet in a hostile workbook is the workbook's
        raise ImportUnreadable(f"This .xlsx workbook cannot be read: {_workbook_problem(error)}.") from None
    if first is None or not any(_cell_text(c) for c in first):
        raise ImportUnreadable("The first sheet is empty or has no header row.")
    header = _checked_header([_cell_text(c) for c in first])
    return Table("xlsx", header, _reread=lambda table: _xlsx_records(table, data))


def _check_workbook(data: bytes) -> None:
    from openpyxl import DEFUSEDXML  # imported here: only XLSX imports pay for openpyxl

    # openpyxl parses with defusedxml when it is installed (and OPENPYXL_DEFUSEDXML is not "False"):
    # entity declarations are then refused, so a billion-laughs or XXE workbook is not expanded.
    if not DEFUSEDXML:
        raise ImportUnreadable(
            "Reading .xlsx needs the defusedxml package (pip install -r requirements.txt), which keeps a "
            "workbook's XML from expanding entities; export the sheet as CSV meanwhile."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise ImportUnreadable(
            f"This is not a readable .xlsx workbook: its archive is damaged ({error})."
        ) from None
    # zipfile stops at each part's stated size, so the stated sizes bound what unpacking can produce.
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportUnreadable(
            f"This .xlsx workbook unpacks to {unpacked / 1024**2:,.0f} MB, more than the "
            f"{MAX_XLSX_UNPACKED_BYTES / 1024**2:,.0f} MB an import reads: export the sheet as CSV."
        )


def _first_sheet(data: bytes) -> tuple[Any, int]:
    """The first worksheet, and how many rows its stored dimension claims (0 when it claims none)."""
    from openpyxl import load_workbook

    # Not data_only: a formula cell is kept as typed ("=SUM(A1)"), never evaluated or trusted.
    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=False).worksheets[0]
    # The stored dimension is the writer's claim: openpyxl would stop at its last row and column (dropping
    # rows past it) and pad every row to its width; without it every row the sheet holds is read as it is.
    claimed = sheet.max_row or 0
    sheet.reset_dimensions()
    return sheet, claimed


def _workbook_problem(error: BaseException) -> str:
    """Why a workbook cannot be read, from the root error (openpyxl wraps its parsers' in ValueError)."""
    from defusedxml import DefusedXmlException

    for _depth in range(10):
        cause = error.__cause__ or error.__context__
        if cause is None or isinstance(error, DefusedXmlException | ParseError):
            break
        error = cause
    if isinstance(error, DefusedXmlException):
        return "its XML declares entities (how billion-laughs and XXE attacks are built), so it is not read"
    if isinstance(error, ParseError):
        return f"its XML is broken ({error})"
    if isinstance(error, zipfile.BadZipFile | EOFError | OSError):
        return f"its archive is damaged ({error})"
    return f"it is not a workbook openpyxl can read ({type(error).__name__})"


def _xlsx_records(table: Table, data: bytes) -> Iterator[Record]:
    clock = _ReadClock()
    try:
        sheet, claimed = _first_sheet(data)
        rows = sheet.iter_rows(values_only=True)
    except Exception as error:  # it opened once; if it does not again, that is reported, not raised
        yield _tail(2, 1, f"the workbook could not be opened again: {_workbook_problem(error)}")
        return
    number = data_rows = 0  # the sheet's row number (as Excel shows it); the filled rows after the header
    while True:
        if clock.over():
            yield _sheet_tail(number + 1, claimed, _time_limit_why())
            return
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as error:  # a sheet broken half-way is reported from that row on
            yield _sheet_tail(
                number + 1, claimed, f"the sheet breaks off after row {number:,}: {_workbook_problem(error)}"
            )
            return
        number += 1
        table.position = min(number / max(claimed, 1), 1.0)
        cells = [_cell_text(c) for c in row]
        if number == 1 or not any(cell.strip() for cell in cells):
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            yield _sheet_tail(number, claimed, _row_cap_why())
            return
        clock.pause()
        yield _cells_to_record(number, table.header, cells)
        clock.resume()


def _sheet_tail(number: int, claimed: int, why: str) -> Record:
    """Rows from `number` on, not read; what follows cannot be read, so the sheet's dimension counts them."""
    rows = max(claimed - number + 1, 1)
    return _tail(number, rows, f"{why} (the rows counted by the sheet's stated size)" if rows > 1 else why)


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


# ---------------------------------------------------------------- JSON: Slack, and API-shaped exports

# Where an API-shaped export keeps its records: Zendesk's {"tickets": [...]}, Help Scout's
# {"_embedded": {"conversations": [...]}}, Discourse's {"latest_posts": [...]}, Slack's {"messages": [...]}.
RECORD_KEYS = ("messages", "tickets", "conversations", "latest_posts", "posts", "results", "data", "items")
JSON_HEADER_SAMPLE = 1_000  # records whose keys make the header: a key only later records have is still read


def _open_json(text: str, encoding: str) -> Table:
    # Read whole: the standard library has no streaming JSON parser; the file size cap bounds it.
    try:
        loaded: Any = json.loads(text)
    except RecursionError as error:
        raise ImportUnreadable(f"This is not valid JSON ({error}).") from None
    except json.JSONDecodeError as error:
        loaded = _json_lines(text, error)  # Zendesk's JSON export: one ticket per line
    records = _record_list(loaded)
    if records is None:
        raise ImportUnreadable(
            "A JSON export is a list of records (Slack messages, tickets, posts); this file is not."
        )
    if not records:
        raise ImportUnreadable("The export has no messages: there is nothing to import.")
    objects = [r for r in records[:JSON_HEADER_SAMPLE] if isinstance(r, dict)]
    # Slack messages carry a ts; tickets and posts never do. A list of no objects at all is read as Slack's,
    # so each of its items is reported as not a message.
    if not objects or any("ts" in r for r in objects):
        return Table(
            "slack_json", list(SLACK_COLUMNS), encoding, _reread=lambda table: _slack_records(table, records)
        )
    header: dict[str, None] = {}
    for record in objects:
        header.update(dict.fromkeys(flatten(record)))
    if not header:
        raise ImportUnreadable("The JSON export's records have no fields: there is nothing to import.")
    return Table("json", list(header), encoding, _reread=lambda table: _json_records(table, records))


def _json_lines(text: str, first_error: json.JSONDecodeError) -> list[Any]:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise ImportUnreadable(f"This is not valid JSON ({first_error}).") from None
    parsed: list[Any] = []
    for number, line in enumerate(lines, start=1):
        try:
            parsed.append(json.loads(line))
        except (json.JSONDecodeError, RecursionError) as error:
            if number == 1:
                raise ImportUnreadable(f"This is not valid JSON ({first_error}).") from None
            parsed.append(_BrokenLine(str(error)))
    return parsed


@dataclass(frozen=True)
class _BrokenLine:
    """A line of a JSON-lines export that is not JSON: its row's error, the lines around it still read."""

    why: str


def _record_list(loaded: Any) -> list[Any] | None:
    if isinstance(loaded, list):
        return loaded
    if not isinstance(loaded, dict):
        return None
    # A list may also sit one level further down, as Help Scout's reports write {"conversations": {"results":
    # [...]}}: without looking there the whole page would be read as one record.
    nested = [loaded.get(key) for key in ("_embedded", *RECORD_KEYS)]
    for container in (loaded, *nested):
        if isinstance(container, dict):
            for key in RECORD_KEYS:
                if isinstance(container.get(key), list):
                    return list(container[key])
    return [loaded] if loaded else None


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A record's fields as text columns: nested objects by dotted name (via.channel), lists joined by ", "
    (tags; a list of objects by each one's tag or name, as Help Scout writes tags)."""
    out: dict[str, str] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            out[name] = ", ".join(_list_item(item) for item in value if item not in (None, ""))
        else:
            out[name] = _json_text(value)
    return out


def _list_item(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("tag", "name", "label", "value", "email"):
            if isinstance(item.get(key), str | int):
                return str(item[key])
    return _json_text(item)


def _json_records(table: Table, records: list[Any]) -> Iterator[Record]:
    clock = _ReadClock()
    for number, record in enumerate(records, start=1):
        table.position = number / len(records)
        if number > MAX_ROWS or clock.over():
            left = len(records) - number + 1
            yield _tail(number, left, _row_cap_why() if number > MAX_ROWS else _time_limit_why())
            return
        clock.pause()
        if isinstance(record, _BrokenLine):
            yield Record(number, None, f"is not JSON ({record.why})")
        elif not isinstance(record, dict):
            yield Record(number, None, "is not a record (expected an object with named fields)")
        else:
            cells = flatten(record)
            yield Record(number, {column: cells.get(column, "") for column in table.header})
        clock.resume()


def _slack_records(table: Table, messages: list[Any]) -> Iterator[Record]:
    clock = _ReadClock()
    for number, message in enumerate(messages, start=1):
        table.position = number / len(messages)
        left = len(messages) - number + 1
        if number > MAX_ROWS or clock.over():
            yield _tail(number, left, _row_cap_why() if number > MAX_ROWS else _time_limit_why())
            return
        clock.pause()
        yield _slack_record(number, message)
        clock.resume()


def _slack_record(number: int, message: Any) -> Record:
    if not isinstance(message, dict):
        return Record(number, None, "is not a Slack message (expected an object with text and ts)")
    user_profile = message.get("user_profile")
    profile = user_profile if isinstance(user_profile, dict) else {}
    values = {column: _json_text(message.get(column)) for column in SLACK_COLUMNS}
    values["user_name"] = _json_text(
        profile.get("real_name")
        or profile.get("display_name")
        or message.get("user_name")
        or message.get("username")
    )
    return Record(number, values)


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
