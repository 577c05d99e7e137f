"""Working copy → sheet: which noted rows to rewrite or append, checked against the sheet, then sent.

The check and the sending cost one batchGet, one values.batchUpdate and one values.append per table, however
many rows a write touched. Rows are found by id, not by where they were: people sort and delete rows.
"""

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Table, select, text

from cxos.clock import utcnow
from cxos.errors import StaleWrite
from cxos.store.sheets import layout
from cxos.store.sheets.a1 import a1

if TYPE_CHECKING:
    from cxos.store.sheets.store import SheetsStore

_LOAD_ORDER = {table.name: position for position, table in enumerate(layout.tables())}
APPEND_CHUNK = 2_000  # rows per values.append: well under Google's 10 MB request limit for our rows
LOOKUP_CHUNK = 500
Rewrite = tuple[str, int, int, list[Any]]  # (table, row id, its row number in the sheet, its cells)


def send(store: "SheetsStore", connection: Connection, plan: "Plan", *, live: bool) -> None:
    """Send every noted row: check the sheet still holds what we read, then one update and one append
    per table. `live`: a person is waiting, so a conflict refuses their write; otherwise (the queue)
    the conflicting change is set aside in _sheet_conflicts, where nothing is lost."""
    plan.check_against_sheet(live=live)
    if plan.updates:
        store.api.update([(a1(t, n, len(cells), n), [cells]) for t, _, n, cells in plan.updates])
        plan.sent = True
        _placed(
            connection, [(t, row_id, n, store.known_cells(t, cells)) for t, row_id, n, cells in plan.updates]
        )
    for table_name, rows in sorted(plan.appends.items(), key=lambda item: _LOAD_ORDER[item[0]]):
        for start in range(0, len(rows), APPEND_CHUNK):  # parents first, so a half-sent change has no orphans
            chunk = rows[start : start + APPEND_CHUNK]
            first = store.api.append(table_name, [cells for _, cells in chunk])
            plan.sent = True
            _placed(
                connection,
                [
                    (table_name, row_id, first + offset, store.known_cells(table_name, cells))
                    for offset, (row_id, cells) in enumerate(chunk)
                ],
            )
    _done(connection, plan.nothing_to_send)


class Plan:
    """What one push sends: rewritten rows (with where they are) and new rows per table."""

    @classmethod
    def of(cls, store: "SheetsStore", connection: Connection) -> "Plan | None":
        dirty = connection.exec_driver_sql("SELECT tbl, row_id FROM _sheet_dirty ORDER BY tbl, row_id").all()
        return cls(store, connection, dirty) if dirty else None

    def __init__(self, store: "SheetsStore", connection: Connection, dirty: Sequence[Row[str, int]]):
        self.store, self.connection = store, connection
        self.updates: list[Rewrite] = []
        self.appends: dict[str, list[tuple[int, list[Any]]]] = defaultdict(list)
        self.nothing_to_send: list[tuple[str, int]] = []
        self.sent = False  # part of it is in the sheet: from then on the change can only be kept, not undone
        self._known: dict[tuple[str, int], tuple[int, str]] = {}
        wanted: dict[str, list[int]] = defaultdict(list)
        for table_name, row_id in dirty:
            wanted[table_name].append(row_id)
        for table_name, ids in wanted.items():
            table = layout.table_named(table_name)
            columns = store.columns(table_name)
            current = _rows_by_id(connection, table, ids)
            known = _known_rows(connection, table_name, ids)
            self._known.update({(table_name, k): v for k, v in known.items()})
            for row_id in ids:
                record, place = current.get(row_id), known.get(row_id)
                if record is not None:
                    cells = layout.encode(table, record, columns)
                    if place:
                        self.updates.append((table_name, row_id, place[0], cells))
                    else:
                        self.appends[table_name].append((row_id, cells))
                elif place:
                    self.updates.append(
                        (table_name, row_id, place[0], layout.tombstone(row_id, len(columns)))
                    )
                else:
                    self.nothing_to_send.append((table_name, row_id))  # added and removed before it was sent

    def check_against_sheet(self, *, live: bool) -> None:
        """One batchGet: the id column of each table with rewritten rows (people sort and delete rows in a
        sheet, so a row is found by its id, not trusted to stay put), the rows where we last saw them, and what
        others appended since. Only rows that moved need a second read."""
        tails = {name: _last_row(self.connection, name) for name in self.appends}
        updated_tables = sorted({t for t, *_ in self.updates})
        ranges = [a1(t, 1, 1) for t in updated_tables]
        ranges += [a1(t, n, max(len(cells), 1), n) for t, _, n, cells in self.updates]
        ranges += [a1(name, last + 1, 1) for name, last in tails.items()]
        if not ranges:
            return
        found = self.store.api.read(ranges)
        where = {t: _id_rows(column) for t, column in zip(updated_tables, found, strict=False)}
        at_known = found[len(updated_tables) : len(updated_tables) + len(self.updates)]
        kept: list[Rewrite] = []
        moved: list[Rewrite] = []
        for (table_name, row_id, number, cells), sheet_rows in zip(self.updates, at_known, strict=True):
            actual = where[table_name].get(row_id)
            if actual is None:
                self._conflict(
                    live,
                    table_name,
                    row_id,
                    cells,
                    f"{_name(table_name).capitalize()} #{row_id} was "
                    f"removed from the '{table_name}' sheet by someone after the app read it",
                )
            elif actual != number:
                moved.append((table_name, row_id, actual, cells))
            else:
                self._compare(
                    live, kept, (table_name, row_id, number, cells), sheet_rows[0] if sheet_rows else []
                )
        if moved:  # rows were sorted or removed above ours: read them where they are now
            self.store.moved_rows = True
            for update, sheet_rows in zip(
                moved,
                self.store.api.read([a1(t, n, max(len(cells), 1), n) for t, _, n, cells in moved]),
                strict=True,
            ):
                self._compare(live, kept, update, sheet_rows[0] if sheet_rows else [])
        self.updates = kept
        for (table_name, last), tail in zip(tails.items(), found[len(ranges) - len(tails) :], strict=True):
            ours = {row_id: cells for row_id, cells in self.appends[table_name]}
            for offset, cells in enumerate(tail):
                appended_id = layout.as_id(cells[0] if cells else "")
                if appended_id in ours:
                    self._conflict(
                        live,
                        table_name,
                        appended_id,
                        ours.pop(appended_id),
                        f"{_name(table_name)} #{appended_id} was also added to the sheet by someone else "
                        f"(row {last + 1 + offset}) at the same moment",
                    )
            self.appends[table_name] = [
                (row_id, cells) for row_id, cells in self.appends[table_name] if row_id in ours
            ]

    def _compare(self, live: bool, kept: list[Rewrite], update: Rewrite, now_there: list[Any]) -> None:
        table_name, row_id, number, cells = update
        if (
            layout.fingerprint(self.store.known_cells(table_name, now_there))
            != self._known[(table_name, row_id)][1]
        ):
            self._conflict(
                live,
                table_name,
                row_id,
                cells,
                _changed_in_sheet(table_name, row_id, number, self.store, now_there),
            )
        else:
            kept.append(update)

    def _conflict(self, live: bool, table_name: str, row_id: int, cells: list[Any], why: str) -> None:
        if live:
            raise StaleWrite(f"{why}. Nothing was saved: the app now shows the sheet's version; try again.")
        self.connection.execute(
            text("INSERT INTO _sheet_conflicts VALUES (:at, :tbl, :row_id, :reason, :ours)"),
            {
                "at": utcnow().isoformat(),
                "tbl": table_name,
                "row_id": row_id,
                "reason": why,
                "ours": json.dumps(cells, default=str),
            },
        )
        _done(self.connection, [(table_name, row_id)])


def _changed_in_sheet(
    table_name: str, row_id: int, number: int, store: "SheetsStore", cells: list[Any]
) -> str:
    who = dict(zip(store.columns(table_name), cells, strict=False))
    by = f" by {who['updated_by']}" if who.get("updated_by") else ""
    return (
        f"{_name(table_name).capitalize()} #{row_id} was changed in the sheet{by} (row {number} of "
        f"'{table_name}') after the app read it"
    )


def _name(table_name: str) -> str:
    return table_name.replace("_", " ")


def _id_rows(column: list[list[Any]]) -> dict[int, int]:
    """Sheet row number of each id in an id column as read (row 1 is the header; the first of twins wins)."""
    rows: dict[int, int] = {}
    for number, cells in enumerate(column[1:], start=2):
        row_id = layout.as_id(cells[0]) if cells else None
        if row_id is not None:
            rows.setdefault(row_id, number)
    return rows


def _rows_by_id(connection: Connection, table: Table, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        for row in connection.execute(select(table).where(table.c.id.in_(chunk))).mappings():
            rows[row["id"]] = dict(row)
    return rows


def _known_rows(connection: Connection, table_name: str, ids: list[int]) -> dict[int, tuple[int, str]]:
    known = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        marks = ",".join("?" * len(chunk))
        for row_id, number, fp in connection.exec_driver_sql(
            f"SELECT row_id, row_number, fingerprint FROM _sheet_rows WHERE tbl = ? AND row_id IN ({marks})",
            (table_name, *chunk),
        ):
            known[row_id] = (number, fp)
    return known


def _last_row(connection: Connection, table_name: str) -> int:
    """The last sheet row we know of in this table (1: just the header)."""
    return connection.exec_driver_sql(
        "SELECT coalesce(max(row_number), 1) FROM _sheet_rows WHERE tbl = ?", (table_name,)
    ).scalar_one()


def _placed(connection: Connection, rows: list[Rewrite]) -> None:
    """Rows now in the sheet: where they are and what they hold (a tombstone is no longer anywhere)."""
    gone = [(t, row_id) for t, row_id, _, cells in rows if layout.is_tombstone(cells)]
    kept = [
        (t, row_id, n, layout.fingerprint(cells))
        for t, row_id, n, cells in rows
        if not layout.is_tombstone(cells)
    ]
    if gone:
        connection.exec_driver_sql("DELETE FROM _sheet_rows WHERE tbl = ? AND row_id = ?", gone)
    if kept:
        connection.exec_driver_sql("INSERT OR REPLACE INTO _sheet_rows VALUES (?, ?, ?, ?)", kept)
    _done(connection, [(t, row_id) for t, row_id, *_ in rows])


def _done(connection: Connection, keys: list[tuple[str, int]]) -> None:
    if keys:
        connection.exec_driver_sql("DELETE FROM _sheet_dirty WHERE tbl = ? AND row_id = ?", keys)
