"""Data versions: a write gives exactly the tables it changed a new version, seen by every handle and process."""

import subprocess
import sys

from sqlalchemy import func
from sqlmodel import select

from components.common import data
from cxos.models import Rule, Signal
from cxos.store.store import Store
from cxos.store.versions import current_tokens
from tests.conftest import COUNCIL
from tests.factories import log_signal, routed_signal


def _tokens(store: Store) -> dict[str, str]:
    with store.read() as session:
        return current_tokens(session)


def test_a_signal_write_changes_the_versions_of_signal_and_nothing_it_did_not_touch(
    journey_store, touchpoint_id
):
    before = _tokens(journey_store)
    log_signal(journey_store, touchpoint_id=touchpoint_id)
    after = _tokens(journey_store)
    assert after["signal"] != before.get("signal")
    assert {name: after.get(name) for name in ("rule", "touchpoint", "team", "fix")} == {
        name: before.get(name) for name in ("rule", "touchpoint", "team", "fix")
    }


def test_a_first_route_changes_the_owner_history_version_in_the_same_write(journey_store, touchpoint_id):
    team_id = _a_team(journey_store)
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id)
    before = _tokens(journey_store)
    routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=team_id, actor=COUNCIL)
    assert _tokens(journey_store)["owner_history"] != before.get("owner_history")
    assert signal.id is not None


def test_a_failed_write_changes_no_version(journey_store, touchpoint_id):
    before = _tokens(journey_store)
    try:
        with journey_store.write() as session:
            session.add(Rule(name="half done", conditions="[]"))
            session.flush()
            raise RuntimeError("the caller gave up")
    except RuntimeError:
        pass
    assert _tokens(journey_store) == before


def test_a_write_in_another_process_is_seen_by_this_handle(store):
    """SQLite file or PostgreSQL database: another app process (here the CLI) writes, this handle sees it."""
    before = _tokens(store)
    done = subprocess.run(
        [sys.executable, "-m", "cxos", "--database-url", store.url, "demo", "--signals", "40", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    after = _tokens(store)
    assert after["signal"] != before.get("signal") and after["owner_history"] != before.get("owner_history")


def test_a_loader_runs_again_only_when_a_table_it_reads_changes(demo_db, monkeypatch):
    monkeypatch.setattr(data, "TOKENS_MAX_AGE_S", 0.0)  # read the versions on every call, as 1 s later would
    runs: list[str] = []

    @data.versioned(Signal)
    def count_signals() -> int:
        runs.append("signals")
        with data.get_store().read() as session:
            return session.exec(select(func.count()).select_from(Signal)).one()

    @data.versioned(Rule)
    def count_rules() -> int:
        runs.append("rules")
        with data.get_store().read() as session:
            return session.exec(select(func.count()).select_from(Rule)).one()

    signals, _ = count_signals(), count_rules()
    assert (count_signals(), count_rules()) == (signals, _) and runs == ["signals", "rules"]

    other = Store.open(demo_db)  # another handle, as another replica has
    with other.read() as session:
        touchpoint_id = session.exec(select(Signal.touchpoint_id)).first()
    log_signal(other, touchpoint_id=touchpoint_id)
    other.dispose()

    assert count_signals() == signals + 1
    count_rules()
    assert runs == ["signals", "rules", "signals"], "the rules loader ran again after a signal write"


def _a_team(store: Store) -> int:
    from cxos.models import Team

    with store.read() as session:
        return session.exec(select(Team.id)).first()
