"""How a table lives in a worksheet: a header row of column names, then one row per record, cells as RAW values.

Cells are written RAW, so text a user typed (even "=HYPERLINK(…)") stays text in the sheet and never runs.
Numbers and booleans are written as numbers and booleans, datetimes as ISO 8601 text in UTC. Sheets has no
NULL: an empty cell reads back as "no value" in a nullable column and as "" in a text column that cannot be
null. A deleted record keeps its row (so no other row moves) with a tombstone in the id cell.
"""

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, Numeric, Table, TypeDecorator
from sqlmodel import SQLModel

import cxos.models  # noqa: F401  (registers every table on SQLModel.metadata)
from cxos.errors import CxosError

KEY = "id"
TOMBSTONE = "deleted "  # the id cell of a deleted record: "deleted 17"
CELL_LIMIT = 50_000  # characters Google keeps in one cell


class CellTooLong(CxosError):
    """A value longer than a Sheets cell holds; refused before anything is sent, so nothing is cut short."""


class UnreadableRow(ValueError):
    """A sheet row that cannot be a record (no id, a non-number in a number column…); the message says why."""


# Derived from the other tables and kept by each store itself: never mirrored to a sheet or copied by a sync.
DERIVED = frozenset({"data_version", "owner_history", "team_backlog", "handoff_day"})


def tables() -> list[Table]:
    """Every mirrored table, parents before children (the order to load them in). The derived tables and a
    table marked `info={"mirrored": False}` (the stored owner model: large, derived) stay in the working copy."""
    return [
        table
        for table in SQLModel.metadata.sorted_tables
        if table.info.get("mirrored", True) and table.name not in DERIVED
    ]


def table_named(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def header(table: Table) -> list[str]:
    """Column names with the id first: column A is what finds a row, and what a tombstone replaces."""
    return [KEY] + [column.name for column in table.columns if column.name != KEY]


def known_cells(table: Table, columns: Sequence[str], cells: Sequence[Any]) -> list[Any]:
    """The cells under columns this version knows; a column a person added to the worksheet is theirs."""
    return cells_at(known_positions(table, columns), cells)


def known_positions(table: Table, columns: Sequence[str]) -> list[int]:
    return [index for index, name in enumerate(columns) if name in table.c]


def cells_at(positions: Sequence[int], cells: Sequence[Any]) -> list[Any]:
    width = len(cells)
    return [cells[index] if index < width else "" for index in positions]


def encode(table: Table, record: Mapping[str, Any], columns: Sequence[str] | None = None) -> list[Any]:
    """One record as the cells of its row, in the order of `columns` (the sheet's header)."""
    names = columns or header(table)
    cells: list[Any] = []
    for name in names:
        if name not in table.c:
            cells.append(None)  # a column this version does not know: left as it is in the sheet
            continue
        value = _encode_value(record.get(name))
        if isinstance(value, str) and len(value) > CELL_LIMIT:
            raise CellTooLong(
                f"{table.name.replace('_', ' ')} #{record.get(KEY)}: {name} has {len(value):,} "
                f"characters; a Google Sheets cell holds at most {CELL_LIMIT:,}. Nothing was saved."
            )
        cells.append(value)
    return cells


def tombstone(record_id: int, width: int) -> list[Any]:
    return [f"{TOMBSTONE}{record_id}"] + [""] * (width - 1)


def _encode_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.replace(tzinfo=UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def as_id(cell: Any) -> int | None:
    """An id cell as read (5, 5.0 or "5"), or None when it holds no id."""
    try:
        return int(float(cell))
    except (TypeError, ValueError, OverflowError):  # "inf" typed into an id cell is not an id either
        return None


def is_blank(cells: Sequence[Any]) -> bool:
    return all(cell in ("", None) for cell in cells)


def is_tombstone(cells: Sequence[Any]) -> bool:
    return bool(cells) and isinstance(cells[0], str) and cells[0].startswith(TOMBSTONE)


def decode(table: Table, columns: Sequence[str], cells: Sequence[Any]) -> dict[str, Any]:
    """A sheet row back into a record; raises UnreadableRow naming the column when a cell cannot be read."""
    if KEY not in columns or (columns.index(KEY) >= len(cells)) or cells[columns.index(KEY)] in ("", None):
        raise UnreadableRow("the id cell is empty")
    record = {}
    for index, name in enumerate(columns):
        if name not in table.c:
            continue
        raw = cells[index] if index < len(cells) else ""
        try:
            record[name] = _decode_value(table.c[name], raw)
        except (TypeError, ValueError) as error:
            raise UnreadableRow(
                f"column {name}: {str(raw)[:60]!r} is not {_kind(table.c[name])} ({error})"
            ) from None
    return record


def _decode_value(column: Column, raw: Any) -> Any:
    if raw in ("", None):
        if column.nullable or column.primary_key:
            return None
        if isinstance(_base_type(column), Boolean):
            return False
        if isinstance(_base_type(column), Integer | Float | Numeric | Date | DateTime):
            raise ValueError("a value is required")
        return ""
    kind = _base_type(column)
    if isinstance(kind, Boolean):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().upper()
        if text in ("TRUE", "1", "YES"):
            return True
        if text in ("FALSE", "0", "NO"):
            return False
        raise ValueError("expected TRUE or FALSE")
    if isinstance(kind, Integer):
        number = float(raw)
        if not number.is_integer():
            raise ValueError("not a whole number")
        return int(number)
    if isinstance(kind, Float | Numeric):
        return float(raw)
    if isinstance(kind, DateTime):
        moment = datetime.fromisoformat(str(raw).strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if isinstance(kind, Date):
        return date.fromisoformat(str(raw).strip()[:10])
    return raw if isinstance(raw, str) else _plain_text(raw)


def _plain_text(raw: Any) -> str:
    """A number typed into a text column ("42") comes back from Sheets as a number; keep it as the text it was."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _base_type(column: Column) -> Any:
    """SQLModel wraps types (UTCDateTime, AutoString) in TypeDecorators; the stored type is underneath."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def _kind(column: Column) -> str:
    kinds = [
        (Boolean, "TRUE/FALSE"),
        (Integer, "a whole number"),
        (Float, "a number"),
        (DateTime, "a date and time"),
        (Date, "a date"),
    ]
    return next((name for kind, name in kinds if isinstance(_base_type(column), kind)), "text")


def fingerprint(cells: Sequence[Any]) -> str:
    """What a row held, comparable between what was written and what is read back (trailing blanks ignored)."""
    normal = [_normal_cell(cell) for cell in cells]
    while normal and normal[-1] == "":
        normal.pop()
    return hashlib.sha1(repr(normal).encode()).hexdigest()  # repr of str/bool/str-of-float: stable and fast


def _normal_cell(cell: Any) -> Any:
    if cell is None:
        return ""
    if cell is True or cell is False or isinstance(cell, str):
        return cell
    if isinstance(cell, int | float):
        return repr(float(cell))
    return cell


def canonical(table: Table, record: Mapping[str, Any]) -> list[Any]:
    """A record in a backend-neutral form for checksums: UTC ISO datetimes, floats, and no difference
    between an empty text and no value (Sheets cannot store that difference)."""
    values: list[Any] = []
    for column in table.columns:
        value = record.get(column.name)
        if value is None or value == "":
            values.append(None)
        elif isinstance(value, datetime):
            values.append(_encode_value(value))
        elif isinstance(value, date):
            values.append(value.isoformat())
        elif isinstance(value, bool):
            values.append(value)
        elif isinstance(value, int | float):
            values.append(repr(float(value)))
        else:
            values.append(value)
    return values
