"""The Google Sheets store: the same Store contract, kept as a SQLite working copy mirrored to the spreadsheet.

Why a working copy: every service in CX OS works on SQLAlchemy sessions (queries, GROUP BYs, the one write
path), so the sheet is mirrored into SQLite and each write is pushed to the sheet before it is acknowledged:

- Reads are served from the working copy, which is refreshed from the sheet (one batchGet for all tables)
  when it is older than the TTL. When Sheets cannot be reached, reads go on from the copy and `status`
  says since when.
- A write runs in one SQLite transaction; triggers note every row it touched. Before it commits, one
  batchGet re-reads the rows it changes (and the new rows others appended), and a row that changed in the
  sheet since it was read refuses the write (StaleWrite), as a version check does on SQL. Then one
  values.batchUpdate rewrites changed rows and one values.append (INSERT_ROWS, RAW) per table adds new
  ones, so appends never overwrite each other and nothing a user typed becomes a formula.
- When Sheets answers 429 (quota) or not at all through the retries, the write is kept in the working copy
  and its rows stay in the outbox (`_sheet_dirty`); `status.queued` says so, and the outbox is sent first on
  the next read or write after the back-off. While anything is queued the copy is not refreshed, so a
  queued change is never overwritten by an older sheet.
"""

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from cxos import config
from cxos.clock import utcnow
from cxos.errors import CxosError, StaleWrite
from cxos.store import handoff_summary, summaries, versions
from cxos.store.db import upgrade_to_head
from cxos.store.sheets import layout, pull, push
from cxos.store.sheets.a1 import a1, quote_title
from cxos.store.sheets.address import DOC_URL
from cxos.store.sheets.api import (
    FOREGROUND,
    RetryPolicy,
    SheetsApi,
    SheetsRefused,
    SheetsUnavailable,
    Transport,
    connect,
    load_service_account,
)
from cxos.store.store import Store, begin_write, finish_write

DEFAULT_TTL_S = 15.0
BACKOFF_S = (5.0, 15.0, 30.0, 60.0)  # between attempts to reach a sheet that did not answer

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS _sheet_dirty (tbl TEXT NOT NULL, row_id INTEGER NOT NULL, PRIMARY KEY (tbl, row_id));
CREATE TABLE IF NOT EXISTS _sheet_rows (tbl TEXT NOT NULL, row_id INTEGER NOT NULL, row_number INTEGER NOT NULL,
                                        fingerprint TEXT NOT NULL, PRIMARY KEY (tbl, row_id));
CREATE TABLE IF NOT EXISTS _sheet_conflicts (at TEXT NOT NULL, tbl TEXT NOT NULL, row_id INTEGER NOT NULL,
                                             reason TEXT NOT NULL, ours TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _sheet_state (pulling INTEGER NOT NULL);
INSERT INTO _sheet_state SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM _sheet_state);
"""
_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS "_sheet_{op}_{table}" AFTER {op} ON "{table}"
WHEN (SELECT pulling FROM _sheet_state) = 0
BEGIN INSERT OR IGNORE INTO _sheet_dirty (tbl, row_id) VALUES ('{table}', {row}.id); END
"""


@dataclass
class SheetStatus:
    """What the app tells people about the sheet: reachable or not, what is queued, what could not be read."""

    reachable: bool = True
    last_read_at: datetime | None = None
    problem: str = ""  # the last failure, in words
    queued: int = 0  # rows written here and not yet in the sheet
    unreadable: list[str] = field(default_factory=list)  # sheet rows skipped on the last read, with why
    conflicts: int = 0


class SheetsStore(Store):
    def __init__(
        self,
        url: str,
        api: SheetsApi,
        cache_path: Path,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        working_url = f"sqlite:///{cache_path}"
        upgrade_to_head(working_url)
        super().__init__(
            working_url, create=True
        )  # the working copy is a cache of the sheet: made when missing
        self.url, self.working_url, self.api, self.ttl_s, self._clock = url, working_url, api, ttl_s, clock
        self._write_lock: threading.RLock = threading.RLock()  # a real lock: read() tries it without waiting
        self.status = SheetStatus()
        self._columns: dict[str, list[str]] = {}  # each worksheet's header, as the sheet has it
        self._last_pull: float | None = None
        self._next_attempt = 0.0
        self._failures = 0
        self._digests: dict[str, str] = {}  # each worksheet's cells as last loaded
        self._unreadable: dict[str, list[str]] = {}
        self._batch_depth = 0
        self.moved_rows = False
        self._install_change_log()
        self._count_queued()
        try:
            self._prepare_worksheets()
            if self.status.queued:  # changes kept from before a restart go first: a read would overwrite them
                self._send_queue()
            if not self.status.queued:
                self._pull()
        except (SheetsUnavailable, SheetsRefused) as error:
            self._went_offline(error)
        except SQLAlchemyError as error:
            self._unloadable(error)

    @property
    def is_sqlite(self) -> bool:
        return True  # SQL runs on the working copy

    @property
    def backend(self) -> str:
        return "Google Sheets"

    # --- the Store contract ---------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        if self._write_lock.acquire(
            blocking=False
        ):  # a write in progress is not waited for: the copy is readable
            try:
                self.refresh()
            finally:
                self._write_lock.release()
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write_lock:
            self.refresh()
            with Session(self._write_engine, expire_on_commit=False) as session:
                try:
                    events_before = begin_write(session)
                    yield session
                    finish_write(session, events_before)
                    plan = push.Plan.of(
                        self, session.connection()
                    )  # a value too long for a cell is refused here
                    # Behind a queue, or while Sheets is being given a rest, a change waits its turn.
                    if (
                        plan
                        and not self._batch_depth
                        and self.status.queued == 0
                        and self._clock() >= self._next_attempt
                    ):
                        self._push_now(session, plan)
                    session.commit()
                except StaleWrite:
                    session.rollback()
                    self._last_pull = None  # show the sheet's version before anyone tries again
                    raise
                except BaseException:
                    session.rollback()
                    raise
            self._count_queued()

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Each write inside commits to the working copy at once (with its own version checks and refusals);
        the sheet gets them all at the end: one re-read, one update, one append per table. A row someone
        changed in the sheet meanwhile cannot refuse a write that has already been acknowledged, so it is
        set aside in _sheet_conflicts (status.conflicts) with our values, and the sheet keeps theirs."""
        with self._write_lock:
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1
                if not self._batch_depth:
                    try:
                        self._send_queue()
                    except (SheetsUnavailable, SheetsRefused) as error:
                        self._went_offline(error)

    # --- keeping the copy and the sheet in step -------------------------------------------------------
    def refresh(self, *, force: bool = False) -> SheetStatus:
        """Send what is queued if its back-off is over, then re-read the sheet if the copy is older than the TTL."""
        with self._write_lock:
            now = self._clock()
            if (now < self._next_attempt and not force) or self._batch_depth:
                return self.status
            try:
                if self.status.queued:
                    self._send_queue()
                if not self.status.queued and (
                    force or self._last_pull is None or now - self._last_pull >= self.ttl_s
                ):
                    self._pull()
            except (SheetsUnavailable, SheetsRefused) as error:
                self._went_offline(error)
            except SQLAlchemyError as error:  # the sheet holds what the schema refuses (a person typed it)
                self._unloadable(error)
            return self.status

    def _push_now(self, session: Session, plan: push.Plan) -> None:
        try:
            self._push(session.connection(), plan, live=True)
        except SheetsUnavailable as error:
            self._went_offline(error)  # kept here and queued: the caller's change is stored, not lost
        except SheetsRefused as error:
            if not plan.sent:
                raise  # nothing reached the sheet: the write is refused with Google's reason, nothing kept
            self._went_offline(error)  # part of it is in the sheet: keep it all and queue the rest, visibly

    def _send_queue(self) -> None:
        with self._write_engine.begin() as connection:
            plan = push.Plan.of(self, connection)
            if plan:
                self._push(connection, plan, live=False)
        self._count_queued()

    def _went_offline(self, error: CxosError) -> None:
        self._failures += 1
        self._next_attempt = self._clock() + BACKOFF_S[min(self._failures, len(BACKOFF_S)) - 1]
        self.status.reachable = False
        self.status.problem = str(error)
        self._count_queued()

    def _unloadable(self, error: Exception) -> None:
        """Sheets answered, but its rows break a rule of the schema; the last good copy stays in use."""
        self._last_pull = self._clock()  # not again at once: it would fail the same way until someone edits
        detail = str(getattr(error, "orig", error)).splitlines()[0]
        self.status.problem = (
            f"The sheet could not be loaded: {detail}. Showing the copy read before; "
            "fix the row in the sheet and it loads again."
        )

    def _back_online(self) -> None:
        self._failures, self._next_attempt = 0, 0.0
        self.status.reachable, self.status.problem = True, ""

    def _count_queued(self) -> None:
        with self.engine.connect() as connection:
            self.status.queued = connection.exec_driver_sql("SELECT count(*) FROM _sheet_dirty").scalar_one()
            self.status.conflicts = connection.exec_driver_sql(
                "SELECT count(*) FROM _sheet_conflicts"
            ).scalar_one()

    # --- set-up ---------------------------------------------------------------------------------------
    def _install_change_log(self) -> None:
        with self._write_engine.begin() as connection:
            for statement in _BOOKKEEPING.split(";"):
                if statement.strip():
                    connection.exec_driver_sql(statement)
            for table in layout.tables():
                for op, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
                    connection.exec_driver_sql(_TRIGGER.format(op=op, table=table.name, row=row))

    def _prepare_worksheets(self) -> None:
        """A worksheet per table with its header row; a header missing newer columns gets them at its end."""
        existing = self.api.worksheets()
        missing = [table for table in layout.tables() if table.name not in existing]
        if missing:
            self.api.add_worksheets(
                [table.name for table in missing], columns=max(len(table.columns) for table in missing)
            )
            existing = self.api.worksheets()
        headers = self.api.read([f"{quote_title(table.name)}!1:1" for table in layout.tables()])
        fixes, grow = [], {}
        for table, rows in zip(layout.tables(), headers, strict=True):
            have = [str(cell) for cell in (rows[0] if rows else [])]
            if have and have[0] != layout.KEY:
                raise SheetsRefused(
                    f"The '{table.name}' worksheet must keep its id column first (column A); "
                    f"it starts with {have[0]!r}."
                )
            wanted = have + [name for name in layout.header(table) if name not in have]
            if wanted != have:
                fixes.append((a1(table.name, 1, len(wanted), 1), [wanted]))
                sheet_id, grid_columns = existing[table.name]
                if len(wanted) > grid_columns:
                    grow[sheet_id] = len(wanted) - grid_columns
            self._columns[table.name] = wanted
        if grow:
            self.api.add_columns(grow)
        if fixes:
            self.api.update(fixes)

    # --- sheet → copy ---------------------------------------------------------------------------------
    def _pull(self) -> None:
        """One batchGet of every worksheet; only the tables whose cells changed are looked at again."""
        tables = layout.tables()
        sheets = self.api.read([quote_title(table.name) for table in tables])
        self._back_online()
        self._last_pull = self._clock()
        self.status.last_read_at = utcnow()
        digests = {table.name: pull.digest(rows) for table, rows in zip(tables, sheets, strict=True)}
        changed = [
            (table, rows)
            for table, rows in zip(tables, sheets, strict=True)
            if digests[table.name] != self._digests.get(table.name)
        ]
        if not changed:
            return
        try:
            self._load(changed, incremental=bool(self._digests))
        except SQLAlchemyError:
            if not self._digests:
                raise
            self._load(list(zip(tables, sheets, strict=True)), incremental=False)  # sort it out row by row
        self._digests = digests

    def _load(self, tables_rows: list, *, incremental: bool) -> None:
        with self._write_engine.begin() as connection:
            reads = [
                pull.parse_table(
                    table, rows, pull.known_fingerprints(connection, table.name) if incremental else None
                )
                for table, rows in tables_rows
            ]
            versions.forget_changes(connection)
            if not incremental:
                pull.drop_orphans(reads)
            pull.load(connection, reads, incremental=incremental)
            summaries.rebuild(connection)  # rows came from the sheet, not through write(): derive them again
            handoff_summary.rebuild(connection)
            versions.bump_changed(connection)
        for read in reads:
            self._columns[read.table.name] = read.columns
            self._unreadable[read.table.name] = read.unreadable
        self.status.unreadable = [why for whys in self._unreadable.values() for why in whys]

    # --- copy → sheet ---------------------------------------------------------------------------------
    def _push(self, connection: Connection, plan: push.Plan, *, live: bool) -> None:
        push.send(self, connection, plan, live=live)
        self._back_online()
        if self.moved_rows:  # our row numbers for the rest of the sheet are stale: re-read it next time
            self.moved_rows, self._last_pull = False, None

    def columns(self, table_name: str) -> list[str]:
        return self._columns.get(table_name) or layout.header(layout.table_named(table_name))

    def known_cells(self, table_name: str, cells: list[Any]) -> list[Any]:
        return layout.known_cells(layout.table_named(table_name), self.columns(table_name), cells)

    def dispose(self) -> None:
        self.engine.dispose()


def open_sheets_store(
    url: str,
    *,
    service_account: dict[str, Any] | None = None,
    transport: Transport | None = None,
    cache_path: Path | None = None,
    retry: RetryPolicy = FOREGROUND,
    sleep: Callable[[float], None] = time.sleep,
    ttl_s: float | None = None,
) -> SheetsStore:
    """gsheets://SPREADSHEET_ID (or the sheet's docs.google.com address). `?cache=PATH` places the working copy;
    gsheets+fake://NAME uses the in-process fake server (for trying the backend without Google)."""
    spreadsheet_id, fake, options = _parse(url)
    if fake and transport is None:
        from cxos.store.sheets.fake_api import shared_server

        transport, service_account = shared_server(spreadsheet_id)
    key = load_service_account(service_account)
    api = connect(spreadsheet_id, key, transport=transport, retry=retry, sleep=sleep)
    cache = cache_path or Path(
        options.get("cache")
        or (
            Path(os.environ.get("CXOS_SHEETS_CACHE_DIR") or config.DATA_DIR / "sheets-cache")
            / f"{spreadsheet_id}.db"
        )
    )
    ttl = ttl_s if ttl_s is not None else float(os.environ.get("CXOS_SHEETS_TTL_S") or DEFAULT_TTL_S)
    scheme = "gsheets+fake" if fake else "gsheets"
    return SheetsStore(f"{scheme}://{spreadsheet_id}", api, Path(cache), ttl_s=ttl)


def _parse(url: str) -> tuple[str, bool, dict[str, str]]:
    doc = DOC_URL.search(url)
    if doc:
        return doc[1], False, {}
    parts = urlsplit(url)
    spreadsheet_id = (parts.netloc + parts.path).strip("/")
    if not spreadsheet_id:
        raise SheetsRefused(f"{url} names no spreadsheet: use gsheets://SPREADSHEET_ID")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return spreadsheet_id, parts.scheme == "gsheets+fake", options
