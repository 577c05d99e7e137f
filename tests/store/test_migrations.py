"""Migrations: replicas starting at once take turns; s005 makes (source, reference) unique, keeping the first."""

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import select

from cxos.journey.map import load_journey_template, touchpoint_options
from cxos.models import Signal
from cxos.store import db
from cxos.store.store import Store
from tests.conftest import ADMIN
from tests.factories import log_signal

HEAD = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()

REPLICAS = 6
ROOT = Path(__file__).resolve().parents[2]


# What an app replica does first: open the store, which migrates it to head. Each replica is a fresh Python
# process that imports only cxos (not the test suite), as a real replica would.
REPLICA = "import sys; from cxos.store.store import Store; Store.open(sys.argv[1], create=True).dispose()"


def test_six_replicas_starting_at_once_all_migrate(unmigrated_url):
    replicas = [
        subprocess.Popen(
            [sys.executable, "-c", REPLICA, unmigrated_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(REPLICAS)
    ]
    outcomes = [replica.communicate(timeout=300) for replica in replicas]
    failures = [
        err.strip().splitlines()[-1:] for (_, err), r in zip(outcomes, replicas, strict=True) if r.returncode
    ]
    assert not failures, f"replicas that failed to start: {failures}"
    store = Store(unmigrated_url)
    with store.read() as session:
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
    store.dispose()


def test_s005_keeps_the_first_signal_of_a_reference_and_marks_the_later_copies(unmigrated_url):
    # Today's code writes only at the head schema: log the signals there, step back to 0004 (before the unique
    # key), copy the first one twice in plain SQL as an older version could have, and migrate forward again.
    store = Store.open(unmigrated_url, create=True)
    load_journey_template(store, actor=ADMIN)
    with store.read() as session:
        touchpoint_id = touchpoint_options(session)[0].id
    first = log_signal(store, touchpoint_id=touchpoint_id, external_ref="T-1")
    other_source = log_signal(store, touchpoint_id=touchpoint_id, external_ref="T-1", source="slack")
    store.dispose()
    command.downgrade(db.alembic_config(unmigrated_url), "0004")

    engine = db.make_engine(unmigrated_url)
    with engine.begin() as connection:
        row = dict(
            connection.execute(text("SELECT * FROM signal WHERE id = :id"), {"id": first.id}).mappings().one()
        )
        columns = [name for name in row if name not in ("id", "client_token")]
        insert = text(
            f"INSERT INTO signal ({', '.join(columns)}) VALUES ({', '.join(':' + name for name in columns)}) "
            "RETURNING id"  # SQLite 3.35+ and PostgreSQL
        )
        second, third = (
            connection.execute(insert, {name: row[name] for name in columns}).scalar_one() for _ in range(2)
        )
    engine.dispose()

    db.upgrade_to_head(unmigrated_url)

    store = Store(unmigrated_url)
    with store.read() as session:
        stored = {s.id: (s.external_ref, s.version) for s in session.exec(select(Signal))}
    store.dispose()
    assert stored == {
        first.id: ("T-1", 1),
        second: (f"T-1#duplicate-{second}-of-{first.id}", 2),
        third: (f"T-1#duplicate-{third}-of-{first.id}", 2),
        other_source.id: ("T-1", 1),
    }
