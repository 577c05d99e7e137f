"""The OS fit score: sub-scores from data with hand-computed answers, 'no data yet' where there is none."""

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from cxos.clock import utcnow
from cxos.errors import NotAllowed, ValidationFailed
from cxos.journey.map import touchpoint_options
from cxos.kpis.fit_score import QUESTIONS, fit_scores, latest_self_assessment, record_self_assessment
from cxos.models import FailureMode, Fix, Signal, Touchpoint
from cxos.signals.writes import assign_owner, create_signal, set_status
from cxos.vocabulary import Component
from tests.conftest import CONTRIBUTOR, COUNCIL


def _scores(store):
    with store.read() as session:
        return {f.component: f for f in fit_scores(session, touchpoint_options(session), utcnow())}


def test_an_empty_log_scores_only_ownership(journey_store):
    fit = _scores(journey_store)[Component.ONBOARDING]
    values = {s.name: s.value for s in fit.subscores}
    assert values == {
        "Ownership": 1.0,
        "Flow": None,
        "Closure": None,
        "Recurrence trend": None,
        "Loop closure": None,
    }
    assert fit.score == 100


def test_flow_closure_and_loop_closure_from_hand_made_history(journey_store):
    with journey_store.read() as session:
        tp = next(t for t in touchpoint_options(session) if t.component == Component.ONBOARDING.value)
    ids = [
        create_signal(
            journey_store,
            signal_in={"title": f"Stuck {i}", "source": "call", "touchpoint_id": tp.id},
            actor=CONTRIBUTOR,
        ).id
        for i in range(4)
    ]
    old = utcnow() - timedelta(days=20)
    with journey_store.write() as session:  # all four logged 20 days ago
        session.execute(update(Signal).where(Signal.id.in_(ids)).values(created_at=old))
    for signal_id in ids[:3]:  # three routed now: 20 days after logging, so not within 7 days
        assign_owner(
            journey_store, signal_id=signal_id, expected_version=1, team_id=tp.team_id, actor=COUNCIL
        )
    set_status(journey_store, signal_id=ids[0], expected_version=2, status="fixed", actor=COUNCIL)
    set_status(journey_store, signal_id=ids[1], expected_version=2, status="fixed", actor=COUNCIL)
    set_status(journey_store, signal_id=ids[1], expected_version=3, status="loop_closed", actor=COUNCIL)
    with journey_store.write() as session:
        modes = [FailureMode(name=f"Mode {i}", touchpoint_id=tp.id, status="accepted") for i in range(2)]
        session.add_all(modes)
        session.flush()
        session.add(Fix(failure_mode_id=modes[0].id, title="Fixed it", status="shipped", what_changed="x"))
    subs = {s.name: s for s in _scores(journey_store)[Component.ONBOARDING].subscores}
    assert (subs["Flow"].value, subs["Flow"].detail) == (0.0, "0 of 4 signals got an owner within 7 days")
    assert subs["Closure"].value == 0.5
    assert subs["Loop closure"].value == 0.5
    assert subs["Recurrence trend"].value is None  # fewer than 10 signals in 8 weeks


def test_weakest_subscore_names_what_would_raise_it(journey_store):
    with journey_store.write() as session:
        tp = session.exec(select(Touchpoint)).first()
        tp.team_id = None
        session.add(tp)
    fit = _scores(journey_store)[Component(tp.component)]
    assert fit.weakest.name == "Ownership" and tp.name in fit.weakest.advice


def test_self_assessment_keeps_history_and_validates(journey_store):
    question = QUESTIONS[Component.KNOWLEDGE][2]
    record_self_assessment(
        journey_store, component="knowledge_self_service", ratings={question: 2}, actor=COUNCIL
    )
    record_self_assessment(
        journey_store, component="knowledge_self_service", ratings={question: 4}, actor=COUNCIL
    )
    with journey_store.read() as session:
        assert latest_self_assessment(session)[("knowledge_self_service", question)].rating == 4
    with pytest.raises(ValidationFailed):
        record_self_assessment(
            journey_store, component="knowledge_self_service", ratings={question: 6}, actor=COUNCIL
        )
    with pytest.raises(ValidationFailed):
        record_self_assessment(
            journey_store, component="knowledge_self_service", ratings={"Why?": 3}, actor=COUNCIL
        )
    with pytest.raises(NotAllowed):
        record_self_assessment(
            journey_store, component="knowledge_self_service", ratings={question: 3}, actor=CONTRIBUTOR
        )
