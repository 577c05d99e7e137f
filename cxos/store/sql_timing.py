"""Bench-only: the time this process spends in SQL statements, kept in a file a benchmark reads between clicks.

Off unless `CXOS_BENCH_SQL_FILE` names a file. Then every statement's time at the cursor (from just before the
driver executes it until it returns; row fetching after that is not counted) is added to a process-wide total,
and the file holds `<seconds> <statements>` after each one, overwritten in place: a benchmark reads it before and
after a click and the difference is that click's SQL (plus any background thread's meanwhile).
"""

import os
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

SETTING = "CXOS_BENCH_SQL_FILE"
_STARTED = "cxos_sql_started"


class _Totals:
    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        self.seconds = 0.0
        self.statements = 0

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds
            self.statements += 1
            line = f"{self.seconds:.6f} {self.statements}\n".encode().ljust(40)
            os.pwrite(self._fd, line, 0)


_totals: _Totals | None = None
_totals_lock = threading.Lock()


def _shared_totals(path: str) -> _Totals:
    global _totals
    with _totals_lock:
        if _totals is None:
            _totals = _Totals(path)
        return _totals


def time_statements(engine: Engine) -> None:
    """When the setting names a file, add every statement's time on `engine` to the process's total there."""
    path = os.environ.get(SETTING, "").strip()
    if not path:
        return
    totals = _shared_totals(path)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(_connection: Any, cursor: Any, *_: Any) -> None:
        _connection.info.setdefault(_STARTED, []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(_connection: Any, cursor: Any, *_: Any) -> None:
        started = _connection.info.get(_STARTED)
        if started:
            totals.add(time.perf_counter() - started.pop())

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        started = context.connection.info.get(_STARTED) if context.connection is not None else None
        if started:
            totals.add(time.perf_counter() - started.pop())


def read_totals(path: str) -> tuple[float, int]:
    """What the file says now: (SQL seconds, statements); (0, 0) before the first statement."""
    try:
        with open(path, encoding="utf-8") as handle:
            seconds, statements = handle.read().split()[:2]
        return float(seconds), int(statements)
    except (OSError, ValueError):
        return 0.0, 0
