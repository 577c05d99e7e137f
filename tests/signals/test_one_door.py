"""One door for signals: the guard names any module but cxos/signals/writes.py that writes a signal row."""

from collections.abc import Iterator

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.models import Signal
from cxos.signals.writes import update_signal
from cxos.store.audit import apply_changes, editing
from cxos.store.bulk import insert_many
from tests import signal_door
from tests.conftest import ADMIN, open_test_store
from tests.factories import log_signal


@pytest.fixture(params=["sqlite", "postgresql", "sheets"])
def any_store(request, tmp_path) -> Iterator:
    """An empty store with the journey, on SQLite, PostgreSQL and the Sheets fake."""
    for store in open_test_store(request, tmp_path):
        load_journey_template(store, actor=ADMIN)
        yield store


def _signal(store) -> Signal:
    with store.read() as session:
        touchpoint = touchpoint_options(session)[0].id
    return log_signal(store, touchpoint_id=touchpoint, actor=ADMIN, title="Invoice shows the wrong VAT")


def test_the_guard_watches_every_engine_for_the_whole_run():
    assert event.contains(Engine, "before_cursor_execute", signal_door._before_cursor_execute)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO signal (title) VALUES (?)",
        'insert into "signal" (title) values (%s)',
        "INSERT OR REPLACE INTO signal VALUES (?)",
        "UPDATE signal SET status=? WHERE signal.id = ?",
        "  update signal set title = 'x'",
        "DELETE FROM signal WHERE id = 1",
        "COPY signal (id, title) FROM STDIN",
        'COPY "signal" (id) FROM STDIN',
    ],
)
def test_writes_to_the_signal_table_are_recognised(statement):
    assert signal_door.is_signal_write(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM signal",
        "INSERT INTO event (actor) VALUES (?)",
        "UPDATE signal_archive SET x = 1",
        "UPDATE failure_mode SET status = 'merged'",
        "CREATE TRIGGER t AFTER UPDATE ON signal BEGIN INSERT INTO _sheet_dirty VALUES ('signal', NEW.id);",
        "COPY event (id) FROM STDIN",
    ],
)
def test_other_statements_are_not_signal_writes(statement):
    assert not signal_door.is_signal_write(statement)


@pytest.mark.parametrize(
    ("stack", "blamed"),
    [
        (["cxos/store/audit.py", "cxos/signals/writes.py", "tests/signals/test_x.py"], None),
        (["cxos/store/bulk.py", "cxos/signals/writes.py", "cxos/importers/batch.py"], None),
        (
            ["cxos/store/store.py", "cxos/fixes/lifecycle.py", "tests/fixes/test_x.py"],
            "cxos/fixes/lifecycle.py",
        ),
        (["cxos/store/bulk.py", "cxos/demo/build.py"], "cxos/store/bulk.py"),
        (["components/signals/detail.py", "pages/Friction_log.py"], "components/signals/detail.py"),
        (["cxos/store/sync.py", "cxos/cli/sync.py"], None),
        (["cxos/store/sheets/pull.py", "cxos/store/sheets/store.py", "cxos/signals/queries.py"], None),
        (["cxos/store/migrations/versions/0009_x.py"], None),
        (["cxos/store/store.py", "tests/kpis/test_fit_score.py"], None),  # a test's own set-up
        (["tests/factories.py", "tests/kpis/test_fit_score.py"], None),
    ],
)
def test_the_module_to_blame_is_the_innermost_one_of_the_app_outside_the_door(stack, blamed):
    assert signal_door.offender(stack) == blamed


def test_an_edit_from_outside_the_door_is_refused_and_named(any_store):
    signal = _signal(any_store)
    with pytest.raises(signal_door.SignalDoorViolation, match="cxos/store/audit.py wrote the signal table"):
        # The generic edit path, used on a signal by any module but the door.
        with editing(any_store, Signal, signal.id, signal.version, ADMIN) as (session, row):
            apply_changes(session, row, ADMIN, {"title": "Changed outside the door"})
    assert len(signal_door.take_violations()) == 1
    with any_store.read() as session:
        assert session.get(Signal, signal.id).title == "Invoice shows the wrong VAT"  # nothing was saved
    update_signal(
        any_store,
        signal_id=signal.id,
        expected_version=signal.version,
        changes={"title": "Changed through the door"},
        actor=ADMIN,
    )
    assert signal_door.take_violations() == []


def test_a_bulk_insert_from_outside_the_door_is_refused_and_named(any_store):
    """The bulk loader sends INSERT (SQLite, the Sheets working copy) or COPY (PostgreSQL): both are seen."""
    signal = _signal(any_store)
    with any_store.read() as session:
        row = dict(session.execute(select(Signal.__table__).where(Signal.id == signal.id)).mappings().one())
    row |= {"id": signal.id + 1, "external_ref": None, "client_token": None}
    with pytest.raises(signal_door.SignalDoorViolation, match="cxos/store/bulk.py wrote the signal table"):
        with any_store.write() as session:
            insert_many(session.connection(), Signal.__table__, [row])
    assert len(signal_door.take_violations()) == 1
    with any_store.read() as session:
        assert session.get(Signal, signal.id + 1) is None
