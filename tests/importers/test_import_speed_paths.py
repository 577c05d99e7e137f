"""The importer's fast INSERT path stores exactly what SQLAlchemy Core would, and refuses what the database refuses."""

import gc
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from cxos.models import Event, Signal
from cxos.store.bulk import cyclic_gc_paused, insert_many, roomy_sqlite_cache

SIGNALS, EVENTS = Signal.__table__, Event.__table__
# These check the bulk loader itself on the signal table; the app reaches it only through cxos/signals/writes.py.
pytestmark = pytest.mark.outside_signal_door(
    "tests of the bulk loader, which writes whatever table it is handed"
)
AT = datetime(2026, 7, 1, 12, 30, 5, 123456, tzinfo=UTC)


def signal_row(signal_id: int, touchpoint_id: int, **changes) -> dict:
    row = {c.name: None for c in SIGNALS.columns} | {
        "id": signal_id,
        "title": "Invoice shows the wrong VAT number",
        "description": 'line 1\nline 2, "quoted"',
        "source": "zendesk",
        "touchpoint_id": touchpoint_id,
        "account": "Account 7",
        "arr": 12_000,
        "severity": "high",
        "external_ref": f"T-{signal_id}",
        "status": "new",
        "version": 1,
        "created_at": AT,
        "updated_at": AT,
        "created_by": "importer",
        "updated_by": "importer",
        "driver_effort": True,
        "driver_emotion": False,
        "driver_answer_ai": False,
        "driver_answer_human": False,
        "driver_product": False,
        "driver_policy": False,
    }
    return row | changes


def stored(store, table, key, value) -> dict:
    with store.read() as session:
        return dict(session.execute(select(table).where(table.c[key] == value)).mappings().one())


@pytest.mark.parametrize(
    "created_at",
    [AT, AT.astimezone(timezone(timedelta(hours=-5))), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)],
)
def test_a_signal_inserted_fast_reads_back_like_one_inserted_by_core(
    journey_store, touchpoint_id, created_at
):
    with journey_store.write() as session:
        connection = session.connection()
        connection.execute(insert(SIGNALS), [signal_row(1001, touchpoint_id, created_at=created_at)])
        insert_many(connection, SIGNALS, [signal_row(1002, touchpoint_id, created_at=created_at)])
    by_core, fast = stored(journey_store, SIGNALS, "id", 1001), stored(journey_store, SIGNALS, "id", 1002)
    assert {k: v for k, v in fast.items() if k not in {"id", "external_ref"}} == {
        k: v for k, v in by_core.items() if k not in {"id", "external_ref"}
    }
    assert fast["created_at"] == created_at and fast["created_at"].tzinfo is not None


def test_events_inserted_fast_read_back_like_core_ones(journey_store):
    event = {
        "at": AT,
        "actor": "Dana",
        "entity": "signal",
        "entity_id": 900_005,
        "action": "created",
        "field": None,
        "from_value": None,
        "to_value": "x",
        "note": "imported",
    }
    with journey_store.write() as session:
        connection = session.connection()
        connection.execute(insert(EVENTS), [event | {"entity_id": 900_006}])
        insert_many(connection, EVENTS, [event])
    by_core, fast = (
        stored(journey_store, EVENTS, "entity_id", 900_006),
        stored(journey_store, EVENTS, "entity_id", 900_005),
    )
    assert {k: v for k, v in fast.items() if k not in {"id", "entity_id"}} == {
        k: v for k, v in by_core.items() if k not in {"id", "entity_id"}
    }


def test_a_row_the_database_refuses_raises_sqlalchemys_error_and_stores_nothing(journey_store, touchpoint_id):
    rows = [signal_row(2001, touchpoint_id), signal_row(2002, 999_999)]  # no such touchpoint
    with pytest.raises(IntegrityError), journey_store.write() as session:
        insert_many(session.connection(), SIGNALS, rows)
    with journey_store.read() as session:
        assert session.execute(select(SIGNALS.c.id).where(SIGNALS.c.id == 2001)).first() is None


def test_rows_without_a_column_core_would_default_are_refused(journey_store, touchpoint_id):
    row = signal_row(3001, touchpoint_id)
    del row["version"]
    with pytest.raises(ValueError, match="version"), journey_store.write() as session:
        insert_many(session.connection(), SIGNALS, [row])


def test_the_larger_sqlite_cache_lasts_only_while_a_batch_is_written(sqlite_store):
    with sqlite_store.write() as session:
        connection = session.connection()
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        with roomy_sqlite_cache(connection):
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == -64 * 1024
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == before


def test_the_cycle_collector_is_back_as_it_was_after_an_import_even_a_failed_one():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cyclic_gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("the import failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # someone else turned it off: it stays off
    finally:
        gc.enable()
