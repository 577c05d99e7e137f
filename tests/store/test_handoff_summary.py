"""The handoffs summaries kept in each write equal the ones derived again from the raw queries, on every path."""

import json
from datetime import timedelta

from sqlmodel import select

from cxos.cli.main import main
from cxos.clock import utcnow
from cxos.demo.build import build_demo
from cxos.models import Event, Signal, Team
from cxos.routing import handoffs
from cxos.signals.writes import assign_owner, set_status
from cxos.store import handoff_summary
from cxos.store.store import Store
from tests.conftest import COUNCIL
from tests.factories import log_signal, routed_signal


def _kept_and_rebuilt(store: Store) -> tuple[tuple[list, list], tuple[list, list]]:
    with store.read() as session:
        kept = (handoff_summary.backlog_rows(session), handoff_summary.day_rows(session))
    with store.write() as session:
        handoff_summary.rebuild(session)
        rebuilt = (handoff_summary.backlog_rows(session), handoff_summary.day_rows(session))
    return kept, rebuilt


def _version(store: Store, signal_id: int) -> int:
    with store.read() as session:
        return session.get(Signal, signal_id).version


def test_routes_moves_closes_and_reopens_keep_the_summaries_equal_to_a_rebuild(journey_store, touchpoint_id):
    with journey_store.read() as session:
        first, second = session.exec(select(Team.id).limit(2)).all()
    moved = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=first)
    assign_owner(
        journey_store, signal_id=moved.id, expected_version=moved.version, team_id=second, actor=COUNCIL
    )
    fixed = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=second)
    set_status(
        journey_store, signal_id=fixed.id, expected_version=fixed.version, status="fixed", actor=COUNCIL
    )
    reopened = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=first)
    set_status(
        journey_store,
        signal_id=reopened.id,
        expected_version=reopened.version,
        status="wont_fix",
        reason="out of scope",
        actor=COUNCIL,
    )
    set_status(
        journey_store,
        signal_id=reopened.id,
        expected_version=_version(journey_store, reopened.id),
        status="routed",
        actor=COUNCIL,
    )
    back = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=second)
    assign_owner(journey_store, signal_id=back.id, expected_version=back.version, team_id=None, actor=COUNCIL)
    log_signal(journey_store, touchpoint_id=touchpoint_id)  # in triage: no team's backlog

    kept, rebuilt = _kept_and_rebuilt(journey_store)
    assert kept == rebuilt
    assert dict(kept[0]) == {first: 1, second: 1}  # reopened with the first, moved to the second
    with journey_store.read() as session:
        backlogs = {
            b.team_id: b for b in handoffs.team_backlogs(session, now=utcnow() + timedelta(seconds=1))
        }
    assert (backlogs[second].open_now, backlogs[second].closed) == (1, 1)


def test_the_demo_bulk_paths_keep_the_summaries_equal_to_the_raw_queries(store):
    build_demo(store, signals=300, seed=5)
    kept, rebuilt = _kept_and_rebuilt(store)
    assert kept == rebuilt and kept[0] and kept[1]
    with store.read() as session:  # the backlog counted straight from the signal rows
        raw = session.exec(
            select(Signal.owner_team_id, Signal.id).where(
                Signal.owner_team_id.is_not(None), Signal.status.in_(handoff_summary.BACKLOG)
            )
        ).all()
    counts: dict[int, int] = {}
    for team_id, _ in raw:
        counts[team_id] = counts.get(team_id, 0) + 1
    assert dict(kept[0]) == counts


def test_history_edited_in_place_is_derived_again(journey_store, touchpoint_id):
    with journey_store.read() as session:
        team = session.exec(select(Team.id)).first()
    signal = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=team)
    with journey_store.write() as session:  # what a repair (or a test backdating history) does: no new event
        for event in session.exec(select(Event).where(Event.entity_id == signal.id)).all():
            event.at = utcnow() - timedelta(days=40)
        session.get(Signal, signal.id).status = "fixed"  # and a row changed without its event
    kept, rebuilt = _kept_and_rebuilt(journey_store)
    assert kept == rebuilt and kept[0] == []


def test_rebuild_summaries_says_nothing_differed_for_the_handoffs_either(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cxos.db'}"
    build_demo(Store.open(url, create=True), signals=120, seed=2)
    assert main(["--database-url", url, "rebuild-summaries", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["rows_changed"] == 0 and counts["team_backlog"] > 0 and counts["handoff_day"] > 0


def test_the_summaries_count_done_work_as_the_lifecycle_defines_it():
    from cxos.signals.lifecycle import CLOSED
    from cxos.store.handoff_summary import BACKLOG, DONE
    from cxos.vocabulary import Status

    assert {Status.FIXED.value} | {status.value for status in CLOSED} == DONE
    assert BACKLOG == {status.value for status in Status} - DONE
