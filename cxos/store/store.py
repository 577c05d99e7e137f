"""The store handle: read sessions, and the single serialised write transaction every change goes through."""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from cxos import config
from cxos.errors import CxosError
from cxos.store import summaries, versions
from cxos.store.db import make_engine, upgrade_to_head
from cxos.store.sheets.address import is_sheets_url


class DatabaseBusy(CxosError):
    pass


class Store:
    """One database, opened by URL. SQLite gets one writer per process at a time; PostgreSQL does not need it."""

    def __init__(self, url: str):
        self.url = config.normalise_url(url)
        self.engine = make_engine(self.url)
        versions.track_writes(self.engine)
        self._write_engine = self.engine.execution_options(cxos_write=True)
        self._write_lock: AbstractContextManager[object] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> "Store":
        url = config.normalise_url(url or config.database_url())
        if is_sheets_url(url):
            from cxos.store.sheets.store import (
                open_sheets_store,  # gspread is loaded only when a sheet is used
            )

            return open_sheets_store(url)
        if migrate:
            upgrade_to_head(url)
        return cls(url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def backend(self) -> str:
        return "SQLite" if self.is_sqlite else "PostgreSQL"

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction that commits once on success and leaves nothing behind on failure."""
        with self._write_lock, Session(self._write_engine, expire_on_commit=False) as session:
            try:
                events_before = begin_write(session)
                yield session
                finish_write(session, events_before)
                session.commit()
            except OperationalError as error:
                session.rollback()
                if "locked" in str(error).lower() or "busy" in str(error).lower():
                    raise DatabaseBusy(
                        "The database stayed busy for 15 s and nothing was saved. Please try again."
                    ) from error
                raise
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


def begin_write(session: Session) -> int:
    """Open a write transaction: nothing noted as changed yet; the newest event id, for `finish_write`."""
    versions.forget_changes(session)
    return summaries.last_event_id(session)


def finish_write(session: Session, events_before: int) -> None:
    """Before the commit, in the same transaction: bring the summaries up to date, then give every table the
    transaction changed a new data version."""
    session.flush()
    summaries.refresh_for_new_events(session, events_before)
    versions.bump_changed(session)
