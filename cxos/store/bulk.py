"""Bulk loading (an import, the demo): batched INSERTs through the driver, with SQLAlchemy's conversions."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ARRAY, ColumnElement, Connection, Table, any_, bindparam
from sqlalchemy.exc import DBAPIError

from cxos.store import versions

if TYPE_CHECKING:
    import psycopg

SQLITE_BATCH_CACHE_KIB = 64 * 1024


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off while an import runs, then back as it was.

    An import allocates millions of short-lived rows; each time the collector runs it walks every live
    object, the batch in hand included (100k rows: 0.8 s of 10). Reference counting still frees all of them
    at once: only garbage in reference cycles waits until the end. Nested or concurrent imports leave the
    collector on at the end if it was on before the first began.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def roomy_sqlite_cache(connection: Connection) -> Iterator[None]:
    """On SQLite, a 64 MiB page cache while a batch is written, then the connection's own size again.

    A batch's rows land all over the signal table's 14 indexes; with the default 2 MiB cache SQLite keeps
    evicting and re-reading those pages (100k rows: 0.7 s of 10). Only memory changes, not what is stored.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    before = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BATCH_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={before}")


def insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all give the same columns, as `connection.execute(insert(table), rows)` would.

    Core's executemany builds parameters row by row and runs every value through its type's processor.
    Here each value still goes through the processor the dialect would use (UTCDateTime → UTC, then
    SQLite's "YYYY-MM-DD HH:MM:SS.ffffff" text), but only for the columns that have one, once per distinct
    value, and the rows go to the driver as plain tuples.
    """
    if not rows:
        return
    dialect = connection.dialect
    columns = list(rows[0])
    unfilled = [c.name for c in table.columns if c.name not in columns and c.default is not None]
    if unfilled:  # Core would fill these from their defaults; this path does not, so every row must give them
        raise ValueError(f"rows for {table.name} must give {', '.join(unfilled)}")
    converters = [
        (position, processor)
        for position, name in enumerate(columns)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    # A row missing a column fails here instead of storing NULL.
    values_of = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    by_column = list(zip(*map(values_of, rows), strict=True))
    for position, processor in converters:
        # Most converted values repeat (the import's one timestamp, False): convert each distinct value once.
        # Equal values convert equally: equal aware datetimes are the same instant, and are stored as UTC.
        converted = {value: processor(value) for value in set(by_column[position])}
        by_column[position] = tuple(map(converted.__getitem__, by_column[position]))
    values = list(zip(*by_column, strict=True))
    quote = dialect.identifier_preparer
    target = f"{quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)})"
    if dialect.driver == "psycopg":
        _copy(connection, f"COPY {target} FROM STDIN", values)
        versions.note_written(connection, table.name)  # COPY passes the cursor events by: say what changed
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(f"INSERT INTO {target} VALUES ({', '.join([mark] * len(columns))})", values)


def _copy(connection: Connection, sql: str, values: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY in the same transaction, faster than executemany (100k rows: 6.2 s → 3.6 s).

    psycopg's own adapters write each value as the INSERT would bind it; constraints and foreign keys are
    checked the same way, and a refusal is raised as SQLAlchemy's error so the batch is reported as before.
    """
    dbapi = connection.dialect.loaded_dbapi
    try:
        # SQLAlchemy types the driver's connection as bare PEP 249; on PostgreSQL it is psycopg's own.
        raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in values:
                copy.write_row(row)
    except dbapi.Error as error:
        raise DBAPIError.instance(sql, None, error, dbapi.Error) from error


def among(column: ColumnElement[Any], values: list[Any], *, postgres: bool) -> ColumnElement[bool]:
    """`column IN values` for a batch's many values (a batch's 10,000 references).

    On PostgreSQL the list goes as one array (`= ANY(:values)`): 10,000 separate parameters cost the server
    and SQLAlchemy more to expand than the look-up itself (100k rows, profiled: dedupe 4.0 → 1.0 s).
    SQLite binds each value.
    """
    if not postgres:
        return column.in_(values)
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
