"""Storage faults in words people can act on: a full or read-only disk, an I/O error, a replaced database file.

The drivers' own errors (sqlite3's OperationalError, psycopg's DiskFull …) say what broke in the database's
terms; a page shows the StorageFault made from them instead, through the same path as any other refusal.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from cxos.errors import DatabaseBusy, StorageFault

NOT_SAVED = "Nothing was saved."
FULL = (
    "The disk that holds the database is full, or the database reached the size the server allows it. "
    f"{NOT_SAVED} An administrator needs to free space; then try again."
)
READ_ONLY = (
    "The database is read-only (its file, folder or disk does not allow writing), so you can look but not "
    f"change anything. {NOT_SAVED} An administrator needs to make it writable again."
)
IO_ERROR = (
    "The disk reported an error while the database was saving (a failing disk, a lost network share, or a "
    f"file-size limit). {NOT_SAVED} An administrator needs to check the server's disk; then try again."
)
CANNOT_OPEN = (
    "The database file cannot be opened (it is missing, or its folder is not accessible). "
    f"{NOT_SAVED} An administrator needs to restore it."
)
# Text the drivers put in their messages, lower-cased, first match wins.
_SQLITE_FAULTS = (
    ("database or disk is full", FULL),
    ("readonly database", READ_ONLY),
    ("read-only", READ_ONLY),
    ("disk i/o error", IO_ERROR),
    ("unable to open database file", CANNOT_OPEN),
)
# PostgreSQL's SQLSTATEs: 53100 disk full, 25006 read-only transaction, 58030 I/O error, 53* resources.
_POSTGRES_FAULTS = (("53100", FULL), ("25006", READ_ONLY), ("58030", IO_ERROR))
_POSTGRES_WORDS = (("no space left on device", FULL), ("could not extend file", FULL))


def storage_fault(error: DBAPIError, *, busy_s: float) -> StorageFault | None:
    """The StorageFault this driver error stands for, or None when it is not a storage fault (a bug, a clash)."""
    message = str(error.orig).lower()
    if "database is locked" in message or "database table is locked" in message or "busy" in message:
        return DatabaseBusy(
            f"The database stayed busy for {busy_s:.0f} s and nothing was saved. Please try again."
        )
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    for code, text in _POSTGRES_FAULTS:
        if sqlstate == code:
            return StorageFault(text)
    for words, text in _SQLITE_FAULTS + _POSTGRES_WORDS:
        if words in message:
            return StorageFault(text)
    return None


@dataclass(frozen=True)
class FileIdentity:
    """Which file a SQLite database is: its device and inode, so a deleted or replaced file is noticed."""

    path: Path
    device: int
    inode: int

    @classmethod
    def of(cls, url: str) -> "FileIdentity | None":
        """The identity of the file `url` names now; None for an in-memory database or a file not there yet."""
        path = sqlite_file(url)
        if path is None:
            return None
        try:
            status = path.stat()
        except FileNotFoundError:
            return None
        return cls(path, status.st_dev, status.st_ino)

    def check(self) -> None:
        """Refuse to acknowledge a write into a file that is no longer the one at the path."""
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            raise StorageFault(
                f"The database file {self.path} was deleted while the app was running. {NOT_SAVED} "
                "An administrator needs to restore it and restart the app."
            ) from None
        if (status.st_dev, status.st_ino) != (self.device, self.inode):
            raise StorageFault(
                f"The database file {self.path} was replaced while the app was running. {NOT_SAVED} "
                "Restart the app to open the new file (or put the old one back)."
            )


def refuse_missing_file(url: str) -> None:
    """Refuse a SQLite database whose file is not there: opening it would make a new, empty database, and every
    page would then look like a first start while what was saved is gone. Only the setup commands create one."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise StorageFault(
            f'The database file {path} is missing; nothing was saved. If this is a first start, run "make run" '
            '(or "python -m cxos init" for an empty one); if it was deleted, restore it from a backup.'
        )


def sqlite_file(url: str) -> Path | None:
    """The file a sqlite:/// URL names; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()
