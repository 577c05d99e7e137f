"""Sheet → working copy: read each worksheet's rows into records, and load only the rows that changed.

A row whose cells fingerprint the same as when the copy last saw it (read, or written by us) is not decoded
again, so a refresh after the app's own writes costs the read and the fingerprints, not a reload.
"""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, ColumnDefault, Connection, Table, select, text

from cxos.store.sheets import layout

CHUNK = 500


@dataclass
class TableRead:
    """One worksheet as read: the records to (re)write, where every readable row is, what could not be read."""

    table: Table
    columns: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def digest(rows: list[list[Any]]) -> str:
    return hashlib.sha1(json.dumps(rows, default=str).encode()).hexdigest()


def known_fingerprints(connection: Connection, table_name: str) -> dict[int, str]:
    return dict(
        connection.exec_driver_sql(
            "SELECT row_id, fingerprint FROM _sheet_rows WHERE tbl = ?", (table_name,)
        ).all()
    )


def parse_table(table: Table, rows: list[list[Any]], known: dict[int, str] | None) -> TableRead:
    """`known`: id → fingerprint the copy already holds (None: decode every row)."""
    read = TableRead(table, [str(cell) for cell in rows[0]] if rows else layout.header(table))
    key_at = read.columns.index(layout.KEY) if layout.KEY in read.columns else 0
    positions = layout.known_positions(table, read.columns)
    seen: dict[int, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if layout.is_blank(cells) or layout.is_tombstone(cells):
            continue
        fingerprint = layout.fingerprint(layout.cells_at(positions, cells))
        row_id = layout.as_id(cells[key_at] if key_at < len(cells) else "")
        if (
            known is not None
            and row_id is not None
            and row_id not in seen
            and known.get(row_id) == fingerprint
        ):
            seen[row_id] = number  # unchanged since the copy last saw it
            read.places.append(_place(table, row_id, number, fingerprint))
            continue
        try:
            record = layout.decode(table, read.columns, cells)
        except layout.UnreadableRow as why:
            read.unreadable.append(f"{table.name} row {number}: {why}")
            continue
        if record[layout.KEY] in seen:
            read.unreadable.append(
                f"{table.name} row {number}: id {record[layout.KEY]} is already on row "
                f"{seen[record[layout.KEY]]}"
            )
            continue
        seen[record[layout.KEY]] = number
        read.records.append(record)
        read.places.append(_place(table, record[layout.KEY], number, fingerprint))
    return read


def load(connection: Connection, reads: list[TableRead], *, incremental: bool) -> None:
    """Write the reads (parents first) into the copy in the caller's transaction, without noting the rows as
    changes to send back. Incremental: rewrite only changed rows and remove rows gone from the sheet;
    otherwise replace the tables. Foreign keys are checked at commit, so a sheet that breaks one raises."""
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    connection.exec_driver_sql("UPDATE _sheet_state SET pulling = 1")
    for read in reversed(reads):
        table = read.table
        if not incremental:
            connection.execute(table.delete())
            continue
        present = set(connection.execute(select(table.c.id)).scalars())
        gone = present - {place["row_id"] for place in read.places}
        stale = sorted(gone | ({record[layout.KEY] for record in read.records} & present))
        for start in range(0, len(stale), CHUNK):
            connection.execute(table.delete().where(table.c.id.in_(stale[start : start + CHUNK])))
    for read in reads:
        if read.records:
            connection.execute(read.table.insert(), _complete(read.table, read.records))
        connection.exec_driver_sql("DELETE FROM _sheet_rows WHERE tbl = ?", (read.table.name,))
        if read.places:
            connection.execute(
                text("INSERT INTO _sheet_rows VALUES (:tbl, :row_id, :row_number, :fingerprint)"), read.places
            )
    connection.exec_driver_sql("UPDATE _sheet_state SET pulling = 0")


def drop_orphans(reads: list[TableRead]) -> None:
    """A record that names a row missing from the sheet (or unreadable) cannot go into the copy, which keeps
    foreign keys: it is reported with the unreadable rows instead of failing the whole read. Needs every
    record decoded (a full read)."""
    ids = {read.table.name: {record[layout.KEY] for record in read.records} for read in reads}
    dropped = True
    while dropped:  # until stable: dropping a row can orphan its children, or rows of its own table
        dropped = False
        for read in reads:
            rows = {place["row_id"]: place["row_number"] for place in read.places}
            kept = []
            for record in read.records:
                missing = next(
                    (
                        fk
                        for fk in read.table.foreign_keys
                        if record.get(fk.parent.name) is not None
                        and record[fk.parent.name] not in ids.get(fk.column.table.name, ())
                    ),
                    None,
                )
                if missing is None:
                    kept.append(record)
                    continue
                ids[read.table.name].discard(record[layout.KEY])
                read.unreadable.append(
                    f"{read.table.name} row {rows[record[layout.KEY]]}: {missing.parent.name} "
                    f"{record[missing.parent.name]} is not a readable row of "
                    f"'{missing.column.table.name}'"
                )
                dropped = True
            read.records = kept
    for read in reads:
        read.places = [place for place in read.places if place["row_id"] in ids[read.table.name]]


def _place(table: Table, row_id: int, number: int, fingerprint: str) -> dict[str, Any]:
    return {"tbl": table.name, "row_id": row_id, "row_number": number, "fingerprint": fingerprint}


def _complete(table: Table, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every column in every record, so one executemany fits all (a column the sheet lacks gets its default)."""
    defaults = {column.name: _plain_default(column) for column in table.columns}
    return [defaults | record for record in records]


def _plain_default(column: Column[Any]) -> Any:
    """A column's default when it is a plain value; None when it has none or a function (now, a factory) makes it."""
    default = column.default
    if isinstance(default, ColumnDefault) and not callable(default.arg):
        return default.arg
    return None
