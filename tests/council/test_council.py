"""Council services on SQLite and PostgreSQL: sessions, decisions and actions, triage in bulk, pulse figures, minutes."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from cxos.clock import utcnow
from cxos.council import minutes
from cxos.council import pulse as council_pulse
from cxos.council import sessions as council
from cxos.council import triage as council_triage
from cxos.errors import NotAllowed, StaleWrite, ValidationFailed
from cxos.failure_modes.writes import create_failure_mode
from cxos.fixes.lifecycle import plan_fix
from cxos.journey.friction import Cell
from cxos.models import Event, Signal, Team
from cxos.routing.accuracy import routing_accuracy
from cxos.signals import queries
from cxos.signals.writes import confirm_owner
from cxos.vocabulary import EventAction
from tests.conftest import CONTRIBUTOR, COUNCIL
from tests.factories import as_seen, log_signal, routed_signal


def _teams(store) -> list[int]:
    with store.read() as session:
        return list(session.exec(select(Team.id).order_by(Team.id)))


def _events(store, entity: str, entity_id: int) -> list[Event]:
    with store.read() as session:
        return queries.timeline(session, entity, entity_id)


def test_the_first_council_looks_back_seven_days_then_from_the_last_close(store):
    now = utcnow()
    with store.read() as session:
        assert council.since_last_council(session, now=now) == now - timedelta(days=7)
    opened = council.start_session(store, actor=COUNCIL, attendees=["Priya Shah"])
    closed = council.close_session(
        store, session_id=opened.id, expected_version=opened.version, minutes="# M", actor=COUNCIL
    )
    with store.read() as session:
        assert council.since_last_council(session, now=now + timedelta(days=7)) == closed.closed_at


def test_starting_while_a_session_is_open_joins_it(store):
    first = council.start_session(
        store, actor=COUNCIL, attendees=["Priya Shah", "priya shah ", "Marco Rossi"]
    )
    second = council.start_session(store, actor=COUNCIL)
    assert second.id == first.id and council.attendees_of(first) == ["Priya Shah", "Marco Rossi"]


def test_only_the_council_runs_a_session(store):
    with pytest.raises(NotAllowed):
        council.start_session(store, actor=CONTRIBUTOR)


def test_closing_a_stale_copy_is_refused_and_the_refusal_is_an_event(store):
    opened = council.start_session(store, actor=COUNCIL)
    council.set_attendees(store, session_id=opened.id, seen=[], attendees=["Ann"], actor=COUNCIL)
    with pytest.raises(StaleWrite):
        council.close_session(
            store, session_id=opened.id, expected_version=opened.version, minutes="", actor=COUNCIL
        )
    assert [e.action for e in _events(store, "council_session", opened.id)] == [
        "created",
        "updated",
        "refused",
    ]


def test_decisions_from_two_people_are_both_kept(store):
    opened = council.start_session(store, actor=COUNCIL)
    council.add_decision(
        store,
        session_id=opened.id,
        text="Ship the EU invoice fix",
        owner="Billing",
        due_on=date(2026, 12, 1),
        actor=COUNCIL,
    )
    updated = council.add_decision(
        store, session_id=opened.id, text="Own SSO docs", owner="Knowledge", due_on=None, actor=COUNCIL
    )
    assert [(d.text, d.owner) for d in council.decisions_of(updated)] == [
        ("Ship the EU invoice fix", "Billing"),
        ("Own SSO docs", "Knowledge"),
    ]


def test_a_decision_needs_an_owner(store):
    opened = council.start_session(store, actor=COUNCIL)
    with pytest.raises(ValidationFailed, match="Owner"):
        council.add_decision(store, session_id=opened.id, text="Do it", owner=" ", due_on=None, actor=COUNCIL)


def test_an_action_marked_done_keeps_who_and_when(store):
    opened = council.start_session(store, actor=COUNCIL)
    action = council.add_action(
        store,
        session_id=opened.id,
        text="Rewrite the SCIM page",
        owner="Knowledge",
        due_on=date(2026, 12, 1),
        actor=COUNCIL,
    )
    done = council.set_action_status(
        store, action_id=action.id, expected_version=action.version, status="done", actor=COUNCIL
    )
    assert done.status == "done" and done.closed_at is not None and done.updated_by == COUNCIL.name
    with pytest.raises(StaleWrite):
        council.set_action_status(
            store, action_id=action.id, expected_version=action.version, status="dropped", actor=COUNCIL
        )


def test_confirming_an_owner_is_an_event_without_an_owner_change(journey_store, touchpoint_id):
    signal = routed_signal(
        journey_store,
        touchpoint_id=touchpoint_id,
        team_id=_teams(journey_store)[0],
        routed_by="rule:1",
        title="Invoice in USD",
    )
    with journey_store.read() as session:
        since = utcnow() - timedelta(days=7)
        assert [r["id"] for r in council_triage.waiting_signals(session, since=since)] == [signal.id]
    confirmed = confirm_owner(
        journey_store, signal_id=signal.id, expected_version=signal.version, actor=COUNCIL
    )
    assert confirmed.owner_team_id == signal.owner_team_id and confirmed.version == signal.version + 1
    assert _events(journey_store, "signal", signal.id)[-1].action == "confirmed"
    with journey_store.read() as session:
        assert council_triage.waiting_signals(session, since=since) == []


def test_a_correction_counts_against_routing_accuracy(journey_store, touchpoint_id):
    signal = routed_signal(
        journey_store,
        touchpoint_id=touchpoint_id,
        team_id=_teams(journey_store)[0],
        routed_by="rule:1",
        title="Invoice in USD",
    )
    council_triage.bulk_triage(
        journey_store,
        items=[(signal.id, signal.version)],
        action="correct",
        team_id=_teams(journey_store)[1],
        actor=COUNCIL,
    )
    with journey_store.read() as session:
        tally = routing_accuracy(session).by_decider["rule:1"]
    assert (tally.routed, tally.kept) == (1, 0)


def test_bulk_triage_refuses_a_stale_row_and_does_the_others(journey_store, touchpoint_id):
    first = log_signal(journey_store, touchpoint_id=touchpoint_id, title="One").id
    second = log_signal(journey_store, touchpoint_id=touchpoint_id, title="Two").id
    result = council_triage.bulk_triage(
        journey_store,
        items=[(first, 1), (second, 0)],
        action="needs_info",
        question="Which tenant?",
        actor=COUNCIL,
    )
    assert result.done == [first] and [i for i, _ in result.refused] == [second]
    assert "after you opened it" in result.refused[0][1]


def test_accepting_in_one_transaction_refuses_a_stale_gone_or_unsuggested_row_alone(
    journey_store, touchpoint_id
):
    team = _teams(journey_store)[1]
    fine, stale, unsuggested = (
        log_signal(journey_store, touchpoint_id=touchpoint_id, title=t).id for t in ("One", "Two", "Three")
    )
    result = council_triage.bulk_triage(
        journey_store,
        items=[(fine, 1), (stale, 0), (999_999, 1), (unsuggested, 1)],
        action="accept",
        owners={fine: team, stale: team, 999_999: team},
        actor=COUNCIL,
    )
    assert result.done == [fine]
    why = dict(result.refused)
    assert list(why) == [stale, 999_999, unsuggested]
    assert "after you opened it" in why[stale] and "does not exist" in why[999_999]
    assert "no suggested owner" in why[unsuggested]
    with journey_store.read() as session:
        assert session.get(Signal, fine).owner_team_id == team
        assert session.get(Signal, stale).owner_team_id is None
        refusals = session.exec(
            select(Event).where(
                Event.entity == "signal", Event.entity_id == stale, Event.action == str(EventAction.REFUSED)
            )
        ).all()
    assert len(refusals) == 1  # the refused attempt is in the stale row's history


def test_bulk_linking_moves_signals_into_the_failure_mode(journey_store, touchpoint_id):
    signal = routed_signal(
        journey_store,
        touchpoint_id=touchpoint_id,
        team_id=_teams(journey_store)[0],
        routed_by="rule:1",
        title="Invoice in USD",
    )
    mode = create_failure_mode(
        journey_store, name="Invoices in USD", signals_seen=as_seen(journey_store, []), actor=COUNCIL
    )
    council_triage.bulk_triage(
        journey_store,
        items=[(signal.id, signal.version)],
        action="link",
        failure_mode_id=mode.id,
        actor=COUNCIL,
    )
    with journey_store.read() as session:
        stored = session.get(Signal, signal.id)
    assert (stored.failure_mode_id, stored.status) == (mode.id, "linked")


def test_biggest_movers_are_the_largest_rises():
    now = [Cell(1, None, 10, 0, 0), Cell(2, None, 3, 0, 0), Cell(3, None, 1, 0, 0)]
    before = [Cell(1, None, 9, 0, 0), Cell(2, None, 0, 0, 0), Cell(3, None, 4, 0, 0)]
    assert [(m.touchpoint_id, m.rise) for m in council_pulse.biggest_movers(now, before)] == [(2, 3), (1, 1)]


def test_severity_raises_a_failure_mode_in_the_ranking(journey_store, touchpoint_id):
    def mode_with(severity: str, name: str) -> int:
        ids = [
            log_signal(
                journey_store,
                touchpoint_id=touchpoint_id,
                title=name,
                severity=severity,
                account=f"{name} {n}",
                arr=1000,
            ).id
            for n in range(2)
        ]
        return create_failure_mode(
            journey_store, name=name, signals_seen=as_seen(journey_store, ids), actor=COUNCIL
        ).id

    mild, severe = mode_with("low", "Mild"), mode_with("critical", "Severe")
    with journey_store.read() as session:
        ranked = council_pulse.ranked_failure_modes(session, now=utcnow() + timedelta(minutes=1))
    assert [r.figures.id for r in ranked] == [severe, mild] and ranked[0].severity == 5


def test_minutes_list_every_decision_and_action_with_its_owner(store):
    opened = council.start_session(store, actor=COUNCIL, attendees=["Priya Shah", "Marco Rossi"])
    council.add_decision(
        store,
        session_id=opened.id,
        text="Ship the EU | invoice fix",
        owner="Billing",
        due_on=date(2026, 12, 1),
        actor=COUNCIL,
    )
    council.add_action(
        store,
        session_id=opened.id,
        text="Rewrite the SCIM page",
        owner="Knowledge",
        due_on=date(2026, 12, 4),
        actor=COUNCIL,
    )
    with store.read() as session:
        text = minutes.render_minutes(minutes.minutes_input(session, council.open_session(session)))
    assert "**Attendees:** Priya Shah, Marco Rossi" in text
    assert "1. Ship the EU \\| invoice fix — **owner:** Billing, **due** 01 Dec 2026" in text
    assert "| Rewrite the SCIM page | Knowledge | 04 Dec 2026 | open |" in text


def test_the_minutes_count_one_fix_as_one_fix_and_two_as_fixes(journey_store, touchpoint_id):
    opened = council.start_session(journey_store, actor=COUNCIL, attendees=["Priya Shah"])
    ids = [log_signal(journey_store, touchpoint_id=touchpoint_id, title=f"Export {n}").id for n in range(2)]
    mode = create_failure_mode(
        journey_store, name="Exports time out", signals_seen=as_seen(journey_store, ids), actor=COUNCIL
    ).id

    def reviewed() -> str:
        with journey_store.read() as session:
            return minutes.render_minutes(minutes.minutes_input(session, council.open_session(session)))

    plan_fix(
        journey_store, failure_mode_id=mode, title="Stream it", owner_team_id=None, due_on=None, actor=COUNCIL
    )
    assert "- 1 fix planned\n" in reviewed()
    plan_fix(
        journey_store, failure_mode_id=mode, title="Page it", owner_team_id=None, due_on=None, actor=COUNCIL
    )
    assert "- 2 fixes planned\n" in reviewed() and opened.id
