"""The meeting as shared state: the room's step and clock, who joined, attendee edits that keep late arrivals,
closing with every decision, owner guesses for triage, and refusals that say what the other person changed."""

from datetime import date, timedelta

import pytest

from cxos.clock import utcnow
from cxos.council import closing, room
from cxos.council import sessions as council
from cxos.council import triage as council_triage
from cxos.errors import StaleWrite, ValidationFailed
from cxos.identity import Actor
from cxos.models import CouncilSession, Rule, Team
from cxos.signals.writes import set_status
from cxos.vocabulary import Decider, Role
from tests.conftest import COUNCIL
from tests.factories import log_signal, routed_signal

MARCO = Actor("Marco Rossi", Role.COUNCIL)
DANA = Actor("Dana Kim", Role.ADMIN)
LEE = Actor("Lee Park", Role.CONTRIBUTOR)


def _room(store) -> room.Room:
    with store.read() as session:
        here = room.room(session)
    assert here is not None
    return here


def test_the_room_starts_on_the_starters_step_with_its_clock(store):
    opened = council.start_session(store, actor=COUNCIL, step=2)
    here = _room(store)
    assert (here.session_id, here.step, here.presenter) == (opened.id, 2, COUNCIL.name)
    assert here.step_started_at is not None


def test_moving_the_room_makes_the_mover_present_and_refuses_nobodys_edit(store):
    opened = council.start_session(store, actor=COUNCIL)
    room.move_to_step(store, session_id=opened.id, step=3, actor=MARCO)
    here = _room(store)
    assert (here.step, here.presenter) == (3, "Marco Rossi")
    with store.read() as session:
        assert session.get(CouncilSession, opened.id).version == opened.version  # a pointer, not content
    council.close_session(  # an edit checked against the version read before the room moved goes through
        store, session_id=opened.id, expected_version=opened.version, minutes="# M", actor=COUNCIL
    )


def test_each_person_who_joins_is_recorded_once(store):
    opened = council.start_session(store, actor=COUNCIL, attendees=["Priya Shah"])
    assert room.join(store, session_id=opened.id, actor=MARCO)
    assert room.join(store, session_id=opened.id, actor=LEE)  # a contributor attends too
    assert not room.join(store, session_id=opened.id, actor=Actor("marco rossi", Role.COUNCIL))
    assert _room(store).attendees == ("Priya Shah", "Marco Rossi", "Lee Park")


def test_an_attendee_edit_keeps_who_joined_after_the_list_was_shown(store):
    opened = council.start_session(store, actor=COUNCIL, attendees=["Priya Shah", "Sam Ortiz"])
    room.join(store, session_id=opened.id, actor=MARCO)  # after Priya's box showed the list
    council.set_attendees(
        store,
        session_id=opened.id,
        seen=["Priya Shah", "Sam Ortiz"],
        attendees=["Priya Shah", "Ann"],
        actor=COUNCIL,
    )
    assert _room(store).attendees == ("Priya Shah", "Marco Rossi", "Ann")


def test_closing_writes_every_decision_into_the_minutes_even_one_made_a_moment_before(store):
    opened = council.start_session(store, actor=COUNCIL, attendees=["Priya Shah"])
    council.add_decision(
        store, session_id=opened.id, text="Own SSO docs", owner="Knowledge", due_on=None, actor=MARCO
    )
    council.add_decision(
        store,
        session_id=opened.id,
        text="Ship the EU invoice fix",
        owner="Billing",
        due_on=date(2026, 12, 1),
        actor=DANA,
    )
    closed = closing.close_council(store, session_id=opened.id, pulse_line="12 new signals.", actor=COUNCIL)
    assert closed.status == "closed"
    assert "Own SSO docs — **owner:** Knowledge" in closed.minutes
    assert "Ship the EU invoice fix — **owner:** Billing" in closed.minutes
    assert "12 new signals." in closed.minutes


def test_closing_a_closed_council_says_who_closed_it(store):
    opened = council.start_session(store, actor=COUNCIL)
    closing.close_council(store, session_id=opened.id, actor=MARCO)
    with pytest.raises(ValidationFailed, match="already closed by Marco Rossi"):
        closing.close_council(store, session_id=opened.id, actor=COUNCIL)


def test_a_stale_refusal_says_who_when_and_what_they_changed(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, title="Invoice in USD")
    set_status(
        journey_store,
        signal_id=signal.id,
        expected_version=signal.version,
        status="needs_info",
        reason="Which tenant?",
        actor=MARCO,
    )
    with pytest.raises(StaleWrite) as refused:
        set_status(
            journey_store,
            signal_id=signal.id,
            expected_version=signal.version,
            status="needs_info",
            reason="Which plan?",
            actor=COUNCIL,
        )
    message = str(refused.value)
    assert "Marco Rossi" in message and "UTC" in message and "status → needs_info" in message


def _teams(store) -> list[int]:
    from sqlmodel import select

    with store.read() as session:
        return list(session.exec(select(Team.id).order_by(Team.id)))


class _FixedModel:
    """A stand-in for the owner model's suggester: every signal goes to one team at one confidence."""

    def __init__(self, team_id: int, confidence: float):
        self.answer = [(team_id, confidence)]

    def many(self, signals):
        return [self.answer for _ in signals]

    def __call__(self, signal):
        return self.answer


def test_each_waiting_signal_starts_from_its_rule_or_the_models_guess(journey_store, touchpoint_id):
    teams = _teams(journey_store)
    routed = routed_signal(
        journey_store, touchpoint_id=touchpoint_id, team_id=teams[0], routed_by="rule:7", title="Routed"
    )
    unowned = log_signal(journey_store, touchpoint_id=touchpoint_id, title="Nobody yet")
    since = utcnow() - timedelta(days=7)
    with journey_store.read() as session:
        rows = council_triage.waiting_signals(session, since=since)
        guesses = council_triage.owner_guesses(session, rows, suggester=_FixedModel(teams[1], 0.993))
    assert guesses[routed.id] == council_triage.OwnerGuess(teams[0], Decider.RULE, None, 7)
    assert guesses[unowned.id] == council_triage.OwnerGuess(teams[1], Decider.MODEL, 0.993)
    assert guesses[unowned.id].confident(0.8) and not guesses[unowned.id].confident(0.999)


def test_a_rule_saved_since_the_signal_came_in_is_its_guess(journey_store, touchpoint_id):
    teams = _teams(journey_store)
    unowned = log_signal(journey_store, touchpoint_id=touchpoint_id, title="SCIM sync fails")
    with journey_store.write() as session:
        rule = Rule(
            name="SCIM",
            position=1,
            conditions='[{"field": "text", "op": "contains_any", "value": ["scim"]}]',
            owner_team_id=teams[2],
        )
        session.add(rule)
        session.flush()
        rule_id = rule.id
    with journey_store.read() as session:
        rows = council_triage.waiting_signals(session, since=utcnow() - timedelta(days=7))
        guesses = council_triage.owner_guesses(session, rows, suggester=None)
    assert guesses[unowned.id] == council_triage.OwnerGuess(teams[2], Decider.RULE, None, rule_id)


def test_accepting_sets_an_unowned_signals_guess_and_confirms_a_kept_owner(journey_store, touchpoint_id):
    teams = _teams(journey_store)
    routed = routed_signal(
        journey_store, touchpoint_id=touchpoint_id, team_id=teams[0], routed_by="model", title="Routed"
    )
    unowned = log_signal(journey_store, touchpoint_id=touchpoint_id, title="Nobody yet")
    result = council_triage.bulk_triage(
        journey_store,
        items=[(routed.id, routed.version), (unowned.id, unowned.version)],
        action="accept",
        owners={routed.id: teams[0], unowned.id: teams[1]},
        actor=COUNCIL,
    )
    assert result.done == [routed.id, unowned.id] and not result.refused
    with journey_store.read() as session:
        assert council_triage.waiting_signals(session, since=utcnow() - timedelta(days=7)) == []
