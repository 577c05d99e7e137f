"""The one clock CX OS reads: every "now" and "today" comes from here, so a test can fix the date.

Nothing else calls `datetime.now()` or `date.today()`: a suite that reads the calendar passes the day it
lands and fails a week later. Tests install a clock that starts at a fixed instant and runs at real speed
(`use_clock`), so timestamps still order the way they were written.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime

Source = Callable[[], datetime]


def _system_time() -> datetime:
    return datetime.now(UTC)


_source: Source = _system_time


def utcnow() -> datetime:
    """Now, timezone-aware UTC, to the second (what every stored timestamp holds)."""
    return _source().astimezone(UTC).replace(microsecond=0)


def today() -> date:
    """Today's date in UTC."""
    return utcnow().date()


def use_clock(source: Source | None) -> None:
    """Read time from `source` from now on; None goes back to the system clock."""
    global _source
    _source = source or _system_time
