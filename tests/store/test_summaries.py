"""The owner-history summary kept in each write equals the one rebuilt from the events, on every path."""

import json

from sqlmodel import select

from cxos.cli.main import main
from cxos.demo.build import build_demo
from cxos.models import Signal, Team
from cxos.signals.writes import assign_owner
from cxos.store import summaries
from cxos.store.store import Store
from tests.conftest import COUNCIL
from tests.factories import log_signal, routed_signal


def _kept_and_rebuilt(store: Store) -> tuple[list[tuple], list[tuple]]:
    with store.read() as session:
        kept = summaries.owner_history_rows(session)
    with store.write() as session:
        summaries.rebuild(session)
        rebuilt = summaries.owner_history_rows(session)
    return kept, rebuilt


def test_routes_overrides_and_returns_to_triage_keep_the_summary_equal_to_a_rebuild(
    journey_store, touchpoint_id
):
    with journey_store.read() as session:
        first, second = session.exec(select(Team.id).limit(2)).all()
    kept = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=first, routed_by="rule:1")
    moved = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=first)
    moved = assign_owner(
        journey_store, signal_id=moved.id, expected_version=moved.version, team_id=second, actor=COUNCIL
    )
    back = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=second)
    assign_owner(journey_store, signal_id=back.id, expected_version=back.version, team_id=None, actor=COUNCIL)
    log_signal(journey_store, touchpoint_id=touchpoint_id)  # never routed: no row

    stored, rebuilt = _kept_and_rebuilt(journey_store)
    assert stored == rebuilt
    by_signal = {row[0]: row for row in stored}
    assert (by_signal[kept.id][1], by_signal[kept.id][5], by_signal[kept.id][6]) == (1, "rule:1", True)
    assert (by_signal[moved.id][1], by_signal[moved.id][6]) == (2, False)
    assert (by_signal[back.id][1], by_signal[back.id][6]) == (2, False)
    assert len(stored) == 3


def test_the_demo_bulk_paths_keep_the_summary_equal_to_a_rebuild(store):
    build_demo(store, signals=300, seed=5)
    stored, rebuilt = _kept_and_rebuilt(store)
    with store.read() as session:
        routed = len(session.exec(select(Signal.id).where(Signal.routed_at.is_not(None))).all())
    assert stored == rebuilt and len(stored) >= routed > 0


def test_rebuild_summaries_says_nothing_differed_on_a_kept_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cxos.db'}"
    build_demo(Store.open(url, create=True), signals=120, seed=2)
    assert main(["--database-url", url, "rebuild-summaries", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["rows_changed"] == 0 and counts["owner_history"] > 0
