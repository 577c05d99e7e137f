"""Handoffs and black holes on SQLite and PostgreSQL: bounces, time with each owner, stale items, growing backlogs."""

from datetime import timedelta

from sqlmodel import select

from cxos.clock import utcnow
from cxos.journey.map import teams
from cxos.models import Event, Signal
from cxos.routing import handoffs
from cxos.signals.writes import assign_owner, set_status
from tests.conftest import COUNCIL
from tests.factories import log_signal


def _team_ids(store) -> dict[str, int]:
    with store.read() as session:
        return {team.name: team.id for team in teams(session)}


def _route(store, signal_id: int, *team_ids: int | None) -> None:
    for team_id in team_ids:
        with store.read() as session:
            version = session.get(Signal, signal_id).version
        assign_owner(store, signal_id=signal_id, expected_version=version, team_id=team_id, actor=COUNCIL)


def _backdate(store, signal_id: int, created_days_ago: float, owner_days_ago: list[float]) -> None:
    """Put a signal's creation and its owner events at known times (days before now)."""
    now = utcnow()
    with store.write() as session:
        signal = session.get(Signal, signal_id)
        signal.created_at = signal.updated_at = now - timedelta(days=created_days_ago)
        owner_events = session.exec(
            select(Event)
            .where(Event.entity_id == signal_id, Event.field == "owner_team_id")
            .order_by(Event.id)
        ).all()
        for event, days in zip(owner_events, owner_days_ago, strict=True):
            event.at = now - timedelta(days=days)
        signal.updated_at = now - timedelta(days=min(owner_days_ago, default=created_days_ago))


def test_a_signal_passed_through_four_owners_has_three_bounces_and_is_flagged(journey_store, touchpoint_id):
    team = _team_ids(journey_store)
    bounced = log_signal(journey_store, touchpoint_id=touchpoint_id).id
    _route(journey_store, bounced, team["Support ops"], team["Product"], team["Engineering"], team["Product"])
    once = log_signal(journey_store, touchpoint_id=touchpoint_id).id
    _route(journey_store, once, team["Support ops"], team["Product"])
    with journey_store.read() as session:
        flagged = handoffs.bounced_signals(session)
        assert [(row["id"], row["bounces"]) for row in flagged] == [(bounced, 3)]
        assert handoffs.count_bounced(session) == 1
        assert handoffs.count_bounced(session, at_least=1) == 2


def test_back_to_triage_and_out_again_counts_as_two_bounces(journey_store, touchpoint_id):
    team = _team_ids(journey_store)
    signal_id = log_signal(journey_store, touchpoint_id=touchpoint_id).id
    _route(journey_store, signal_id, team["Support ops"], None, team["Product"])
    with journey_store.read() as session:
        assert handoffs.bounced_signals(session, at_least=2)[0]["bounces"] == 2


def test_time_with_each_owner_comes_from_consecutive_owner_events(journey_store, touchpoint_id):
    team = _team_ids(journey_store)
    signal_id = log_signal(journey_store, touchpoint_id=touchpoint_id).id
    _route(journey_store, signal_id, team["Support ops"], team["Product"], team["Support ops"])
    _backdate(journey_store, signal_id, created_days_ago=10, owner_days_ago=[9, 6, 1])
    with journey_store.read() as session:
        spells = handoffs.owner_spells(session, signal_id, now=utcnow())
    assert [(s.team_id, round(s.days), s.current) for s in spells] == [
        (None, 1, False),
        (team["Support ops"], 3, False),
        (team["Product"], 5, False),
        (team["Support ops"], 1, True),
    ]
    totals = {team_id: round(days) for team_id, days in handoffs.time_with_owner(spells).items()}
    assert totals == {None: 1, team["Support ops"]: 4, team["Product"]: 5}


def test_open_signals_silent_for_n_days_are_stale_and_closed_ones_are_not(journey_store, touchpoint_id):
    team = _team_ids(journey_store)
    silent, recent, closed = (log_signal(journey_store, touchpoint_id=touchpoint_id).id for _ in range(3))
    _route(journey_store, silent, team["Product"])
    _route(journey_store, closed, team["Product"])
    set_status(
        journey_store,
        signal_id=closed,
        expected_version=2,
        status="wont_fix",
        reason="Works as designed",
        actor=COUNCIL,
    )
    with journey_store.write() as session:
        for signal_id, days in ((silent, 20), (closed, 40), (recent, 3)):
            session.get(Signal, signal_id).updated_at = utcnow() - timedelta(days=days)
    with journey_store.read() as session:
        now = utcnow()
        assert [row["id"] for row in handoffs.stale_signals(session, now=now, days=14)] == [silent]
        assert handoffs.count_stale(session, now=now, days=2) == 2
        assert handoffs.count_stale(session, now=now, days=30) == 0


def test_a_team_whose_backlog_grows_while_nothing_closes_is_a_black_hole(journey_store, touchpoint_id):
    team = _team_ids(journey_store)
    for _ in range(3):
        _route(journey_store, log_signal(journey_store, touchpoint_id=touchpoint_id).id, team["Product"])
    closing = [log_signal(journey_store, touchpoint_id=touchpoint_id).id for _ in range(2)]
    for signal_id in closing:
        _route(journey_store, signal_id, team["Engineering"])
    set_status(journey_store, signal_id=closing[0], expected_version=2, status="fixed", actor=COUNCIL)
    _route(journey_store, log_signal(journey_store, touchpoint_id=touchpoint_id).id, team["Engineering"])
    with journey_store.read() as session:
        backlogs = {
            row.team_id: row for row in handoffs.team_backlogs(session, now=utcnow() + timedelta(seconds=1))
        }
    product, engineering = backlogs[team["Product"]], backlogs[team["Engineering"]]
    assert (product.open_now, product.open_before, product.closed, product.black_hole) == (3, 0, 0, True)
    assert (engineering.open_now, engineering.open_before, engineering.closed, engineering.black_hole) == (
        2,
        0,
        1,
        False,
    )


def test_the_backlog_of_four_weeks_ago_is_replayed_from_the_events(journey_store, touchpoint_id):
    team = _team_ids(journey_store)
    old = log_signal(journey_store, touchpoint_id=touchpoint_id).id
    _route(journey_store, old, team["Product"])
    _backdate(journey_store, old, created_days_ago=60, owner_days_ago=[50])
    moved = log_signal(journey_store, touchpoint_id=touchpoint_id).id
    _route(journey_store, moved, team["Product"], team["Engineering"])
    _backdate(journey_store, moved, created_days_ago=60, owner_days_ago=[50, 2])
    with journey_store.read() as session:
        backlogs = {row.team_id: row for row in handoffs.team_backlogs(session, now=utcnow())}
    assert (backlogs[team["Product"]].open_before, backlogs[team["Product"]].open_now) == (2, 1)
    assert (backlogs[team["Engineering"]].open_before, backlogs[team["Engineering"]].open_now) == (0, 1)


def test_a_closed_signal_stops_counting_time_with_its_last_owner(journey_store, touchpoint_id):
    team = _team_ids(journey_store)
    signal_id = log_signal(journey_store, touchpoint_id=touchpoint_id).id
    _route(journey_store, signal_id, team["Product"])
    set_status(
        journey_store,
        signal_id=signal_id,
        expected_version=2,
        status="wont_fix",
        reason="By design",
        actor=COUNCIL,
    )
    with journey_store.read() as session:
        closed_at = session.get(Signal, signal_id).updated_at
        last = handoffs.owner_spells(session, signal_id, now=utcnow() + timedelta(days=30))[-1]
    assert (last.team_id, last.end, last.current) == (team["Product"], closed_at, True)
