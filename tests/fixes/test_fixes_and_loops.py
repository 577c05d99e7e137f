"""Fix lifecycle and loop notices: transitions with events, shipping moves signals, one notice per customer per fix."""

from datetime import timedelta

import pytest
from sqlmodel import select

from cxos import clock
from cxos.clock import utcnow
from cxos.errors import NotAllowed, StaleWrite, ValidationFailed
from cxos.failure_modes.writes import create_failure_mode
from cxos.fixes.lifecycle import (
    advance_fix,
    fixes_in_flight,
    fixes_shipped_since,
    plan_fix,
    record_fix_update,
    update_fix,
)
from cxos.fixes.loops import check_template, draft_notices, mark_sent, notices_for_fix, save_template
from cxos.models import Event, Fix, LoopNotice, Signal
from tests.conftest import CONTRIBUTOR, COUNCIL
from tests.factories import as_seen, log_signal, overwrite_signal

SSO_LOOPS = {"title": "SSO login loops", "account": "Acme Bank"}  # what the signals of these tests say


@pytest.fixture
def mode_id(journey_store, touchpoint_id) -> int:
    first = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, **SSO_LOOPS).id
    overwrite_signal(journey_store, signal_id=first, status="routed", owner_team_id=1)
    return create_failure_mode(
        journey_store,
        name="SSO loops",
        signals_seen=as_seen(journey_store, [first]),
        actor=COUNCIL,
        status="accepted",
    ).id


def _shipped(store, mode_id, what="SSO now remembers the tenant.") -> Fix:
    fix = plan_fix(
        store, failure_mode_id=mode_id, title="Remember tenant", owner_team_id=1, due_on=None, actor=COUNCIL
    )
    fix = advance_fix(store, fix_id=fix.id, expected_version=fix.version, status="in_progress", actor=COUNCIL)
    return advance_fix(
        store, fix_id=fix.id, expected_version=fix.version, status="shipped", actor=COUNCIL, what_changed=what
    )


def test_each_fix_transition_is_an_event(journey_store, mode_id):
    fix = _shipped(journey_store, mode_id)
    with journey_store.read() as session:
        events = session.exec(
            select(Event).where(Event.entity == "fix", Event.entity_id == fix.id, Event.action == "status")
        ).all()
    assert [(e.from_value, e.to_value) for e in events] == [
        ("planned", "in_progress"),
        ("in_progress", "shipped"),
    ]


def test_shipping_needs_the_what_changed_text(journey_store, mode_id):
    fix = plan_fix(
        journey_store,
        failure_mode_id=mode_id,
        title="Remember tenant",
        owner_team_id=None,
        due_on=None,
        actor=COUNCIL,
    )
    with pytest.raises(ValidationFailed, match="What changed"):
        advance_fix(
            journey_store, fix_id=fix.id, expected_version=fix.version, status="shipped", actor=COUNCIL
        )


def test_shipping_moves_waiting_signals_to_fixed(journey_store, touchpoint_id, mode_id):
    waiting = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, **SSO_LOOPS).id
    overwrite_signal(
        journey_store, signal_id=waiting, status="fixing", owner_team_id=1, failure_mode_id=mode_id
    )
    _shipped(journey_store, mode_id)
    with journey_store.read() as session:
        assert session.get(Signal, waiting).status == "fixed"


def test_verifying_without_evidence_is_refused(journey_store, mode_id):
    fix = _shipped(journey_store, mode_id)
    with pytest.raises(ValidationFailed, match="too little data"):
        advance_fix(
            journey_store, fix_id=fix.id, expected_version=fix.version, status="verified", actor=COUNCIL
        )


def test_a_contributor_cannot_plan_a_fix(journey_store, mode_id):
    with pytest.raises(NotAllowed):
        plan_fix(
            journey_store,
            failure_mode_id=mode_id,
            title="x",
            owner_team_id=None,
            due_on=None,
            actor=CONTRIBUTOR,
        )


def test_a_stale_fix_copy_is_refused(journey_store, mode_id):
    fix = plan_fix(
        journey_store, failure_mode_id=mode_id, title="A", owner_team_id=None, due_on=None, actor=COUNCIL
    )
    update_fix(
        journey_store, fix_id=fix.id, expected_version=fix.version, changes={"title": "B"}, actor=COUNCIL
    )
    with pytest.raises(StaleWrite):
        update_fix(
            journey_store, fix_id=fix.id, expected_version=fix.version, changes={"title": "C"}, actor=COUNCIL
        )


def test_in_flight_fixes_show_overdue_and_stale(journey_store, mode_id):
    fix = plan_fix(
        journey_store,
        failure_mode_id=mode_id,
        title="A",
        owner_team_id=1,
        due_on=clock.today() - timedelta(days=1),
        actor=COUNCIL,
    )
    with journey_store.read() as session:
        later = fixes_in_flight(session, now=utcnow() + timedelta(days=15))
    assert [(r.fix_id, r.overdue, r.stale, r.days_since_update) for r in later] == [(fix.id, True, True, 15)]


def test_an_owner_update_resets_the_stale_clock(journey_store, mode_id):
    fix = plan_fix(
        journey_store, failure_mode_id=mode_id, title="A", owner_team_id=1, due_on=None, actor=COUNCIL
    )
    fix = record_fix_update(
        journey_store, fix_id=fix.id, expected_version=fix.version, note="Design done", actor=COUNCIL
    )
    with journey_store.read() as session:
        assert session.exec(
            select(Event.note).where(Event.entity == "fix", Event.action == "update")
        ).all() == ["Design done"]
        assert fixes_in_flight(session, now=utcnow())[0].stale is False


def test_one_notice_per_customer_per_fix(journey_store, touchpoint_id, mode_id):
    for reporter in ("sam@acme.com", "sam@acme.com", None):
        signal_id = log_signal(
            journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter=reporter, **SSO_LOOPS
        ).id
        overwrite_signal(
            journey_store, signal_id=signal_id, status="fixing", owner_team_id=1, failure_mode_id=mode_id
        )
    fix = _shipped(journey_store, mode_id)
    first = draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL)
    again = draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL)
    with journey_store.read() as session:
        recipients = sorted(n.recipient for n in notices_for_fix(session, fix.id))
    assert (len(first), again, recipients) == (2, [], ["Acme Bank", "sam@acme.com"])


def test_a_notice_says_what_changed(journey_store, touchpoint_id, mode_id):
    signal_id = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter="sam@acme.com", **SSO_LOOPS
    ).id
    overwrite_signal(
        journey_store, signal_id=signal_id, status="fixing", owner_team_id=1, failure_mode_id=mode_id
    )
    fix = _shipped(journey_store, mode_id, what="SSO now remembers the tenant.")
    notice = next(
        n for n in draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL) if n.recipient == "sam@acme.com"
    )
    assert "Hi sam@acme.com" in notice.body and "SSO now remembers the tenant." in notice.body


def test_a_template_with_an_unknown_placeholder_is_refused_before_drafting(
    journey_store, touchpoint_id, mode_id
):
    signal_id = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter="sam@acme.com", **SSO_LOOPS
    ).id
    overwrite_signal(
        journey_store, signal_id=signal_id, status="fixing", owner_team_id=1, failure_mode_id=mode_id
    )
    fix = _shipped(journey_store, mode_id)
    with pytest.raises(ValidationFailed, match="unknown placeholder {customer_name}"):
        draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL, template="Dear {customer_name}, {title}")
    with pytest.raises(ValidationFailed):
        save_template(journey_store, template="{title.__class__}", expected_version=0, actor=COUNCIL)
    with journey_store.read() as session:
        assert session.exec(select(LoopNotice)).all() == []


def test_a_saved_template_is_used(journey_store, touchpoint_id, mode_id):
    signal_id = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter="sam@acme.com", **SSO_LOOPS
    ).id
    overwrite_signal(
        journey_store, signal_id=signal_id, status="fixing", owner_team_id=1, failure_mode_id=mode_id
    )
    fix = _shipped(journey_store, mode_id)
    save_template(
        journey_store, template="Fixed: {title} — {what_changed}", expected_version=0, actor=COUNCIL
    )
    notice = draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL)[0]
    assert notice.body.startswith("Fixed: SSO login loops — ")


def test_marking_sent_closes_the_signals_loop(journey_store, touchpoint_id, mode_id):
    signal_id = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter="sam@acme.com", **SSO_LOOPS
    ).id
    overwrite_signal(
        journey_store, signal_id=signal_id, status="fixing", owner_team_id=1, failure_mode_id=mode_id
    )
    fix = _shipped(journey_store, mode_id)
    notice = next(
        n for n in draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL) if n.signal_id == signal_id
    )
    sent = mark_sent(journey_store, notice_id=notice.id, expected_version=notice.version, actor=COUNCIL)
    with journey_store.read() as session:
        assert (sent.status, sent.sent_by, session.get(Signal, signal_id).status) == (
            "sent",
            "Priya Shah",
            "loop_closed",
        )
        assert fixes_shipped_since(session, since=fix.shipped_at)[0].notices_sent == 1


def test_check_template_accepts_escaped_braces():
    assert check_template("{{literal}} {title}") == "{{literal}} {title}"


def test_marking_sent_closes_every_signal_that_customer_reported(journey_store, touchpoint_id, mode_id):
    first = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter="sam@acme.com", **SSO_LOOPS
    ).id
    overwrite_signal(
        journey_store, signal_id=first, status="fixing", owner_team_id=1, failure_mode_id=mode_id
    )
    second = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter="sam@acme.com", **SSO_LOOPS
    ).id
    overwrite_signal(
        journey_store, signal_id=second, status="fixing", owner_team_id=1, failure_mode_id=mode_id
    )
    fix = _shipped(journey_store, mode_id)
    notice = next(
        n for n in draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL) if n.recipient == "sam@acme.com"
    )
    mark_sent(journey_store, notice_id=notice.id, expected_version=notice.version, actor=COUNCIL)
    with journey_store.read() as session:
        assert {session.get(Signal, i).status for i in (first, second)} == {"loop_closed"}
