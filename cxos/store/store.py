"""The store handle: read sessions, and the single serialised write transaction every change goes through."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from cxos import config
from cxos.errors import DatabaseBusy
from cxos.models import Signal, table_of
from cxos.store import db, handoff_summary, sql_timing, summaries, versions
from cxos.store.faults import FileIdentity, refuse_missing_file, sqlite_file, storage_fault
from cxos.store.locks import LockTimeout, file_lock, lock_file_beside
from cxos.store.sheets.address import is_sheets_url

# How long a write waits its turn behind other processes' writes before it gives up. Writes take
# milliseconds, so a queue this long means a stuck writer, not load (50 writer processes wait < 1 s).
WRITE_QUEUE_WAIT_S = 60.0


class Store:
    """One database, opened by URL. SQLite: one writer at a time across every process that opens the file,
    and the file checked to be the one it opened before a write is acknowledged and when a read begins.
    PostgreSQL needs neither. A SQLite file that is not there is refused unless `create` says to make it (the
    setup commands and tests do; the app does not, so a deleted database is an error, not a new empty one)."""

    def __init__(self, url: str, *, create: bool = False):
        self.url = config.normalise_url(url)
        if not create:
            refuse_missing_file(self.url)
        self.engine = db.make_engine(self.url)
        versions.track_writes(self.engine)
        sql_timing.time_statements(self.engine)
        handoff_summary.track_event_rewrites(self.engine)
        self._write_engine = self.engine.execution_options(cxos_write=True)
        self._file = sqlite_file(self.url) if self.is_sqlite else None
        self._process_writer = threading.Lock()
        self._identity: FileIdentity | None = None
        if self._file is not None:
            with self.engine.connect():  # creates the file when it is new, so it has an identity to keep
                pass
            self._identity = FileIdentity.of(self.url)

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True, create: bool = False) -> "Store":
        url = config.normalise_url(url or config.database_url())
        if is_sheets_url(url):
            from cxos.store.sheets.store import (
                open_sheets_store,  # gspread is loaded only when a sheet is used
            )

            return open_sheets_store(url)
        if not create:
            refuse_missing_file(url)  # before the migration, which would make the file
        if migrate:
            db.upgrade_to_head(url)
        return cls(url, create=create)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def backend(self) -> str:
        return "SQLite" if self.is_sqlite else "PostgreSQL"

    @contextmanager
    def read(self) -> Iterator[Session]:
        # One stat per read transaction: a deleted or replaced file is said at once, not shown as stale data.
        self.check_file()
        with self._faults_explained(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction that commits once on success and leaves nothing behind on failure."""
        with (
            self._faults_explained(),
            self._turn_to_write(),
            Session(self._write_engine, expire_on_commit=False) as session,
        ):
            try:
                self.check_file()
                events_before = begin_write(session)
                yield session
                finish_write(session, events_before)
                self.check_file()  # the last moment before the commit says "saved"
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Several writes that belong together (a council's bulk triage). A database needs nothing here; the
        Sheets store sends them to the sheet as one batch at the end instead of a few requests per write."""
        yield

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _turn_to_write(self) -> Iterator[None]:
        """SQLite: this process's writer, then this file's, in turn; one wait bound for both.

        SQLite's own busy handler lets a burst of writer processes starve one another until some give up
        ("database is locked"); a lock file beside the database queues them before they ask SQLite.
        """
        if not self.is_sqlite:
            yield
            return
        started = time.monotonic()
        if not self._process_writer.acquire(timeout=WRITE_QUEUE_WAIT_S):
            raise _queue_too_long()
        try:
            if self._file is None:  # in memory: this process is the only one
                yield
                return
            left = max(0.0, WRITE_QUEUE_WAIT_S - (time.monotonic() - started))
            try:
                with file_lock(lock_file_beside(self._file, "writer"), wait_s=left):
                    yield
            except LockTimeout:
                raise _queue_too_long() from None
        finally:
            self._process_writer.release()

    def check_file(self) -> None:
        """Raise a StorageFault when the SQLite file was deleted or replaced since it was opened (one stat)."""
        if self._identity is not None:
            self._identity.check()

    @contextmanager
    def _faults_explained(self) -> Iterator[None]:
        """A full disk, a read-only file or an I/O error reaches people as a StorageFault, never a driver error."""
        try:
            yield
        except DBAPIError as error:
            self.check_file()  # a deleted file shows as "no such table": say what really happened
            fault = storage_fault(error, busy_s=db.SQLITE_BUSY_TIMEOUT_MS / 1000)
            if fault is None:
                raise
            raise fault from error


def _queue_too_long() -> DatabaseBusy:
    return DatabaseBusy(
        f"Other changes kept the database busy for {WRITE_QUEUE_WAIT_S:.0f} s and nothing was saved. "
        "Please try again."
    )


SIGNAL_TABLE = table_of(Signal).name


@dataclass(frozen=True)
class WriteStart:
    """Where the history stood when a write transaction began: what the write adds comes after it."""

    events: int  # the newest event's id
    signals: int  # the newest signal's id


def begin_write(session: Session) -> WriteStart:
    """Open a write transaction: nothing noted as changed yet; the newest event and signal ids, for
    `finish_write`."""
    versions.forget_changes(session)
    handoff_summary.forget_rewrites(session)
    return WriteStart(summaries.last_event_id(session), handoff_summary.last_signal_id(session))


def finish_write(session: Session, began: WriteStart) -> None:
    """Before the commit, in the same transaction: bring the summaries up to date, then give every table the
    transaction changed a new data version."""
    session.flush()
    summaries.refresh_for_new_events(session, began.events)
    handoff_summary.refresh(
        session,
        began.events,
        began.signals,
        signals_changed=SIGNAL_TABLE in versions.changed_so_far(session),
    )
    versions.bump_changed(session)
