"""Fixes, loop notices and the notice template: two people saving from the same copy never lose the first save."""

from datetime import timedelta

import pytest
from hypothesis import given
from sqlmodel import col, select

from cxos.clock import today
from cxos.failure_modes.writes import create_failure_mode
from cxos.fixes.lifecycle import advance_fix, plan_fix, record_fix_update, update_fix
from cxos.fixes.loops import (
    draft_notices,
    edit_notice,
    mark_sent,
    notice_template,
    save_template,
    template_version,
)
from cxos.journey.map import touchpoint_options
from cxos.models import Event, Fix, LoopNotice
from tests.conftest import COUNCIL
from tests.factories import as_seen, log_signal, overwrite_signal
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair, unique


def _fix(store) -> Fix:
    with store.read() as session:
        touchpoint_id = touchpoint_options(session)[0].id
    signal = log_signal(store, touchpoint_id=touchpoint_id, reporter=unique("reporter") + "@example.com")
    overwrite_signal(store, signal_id=signal.id, status="routed", owner_team_id=1)
    mode = create_failure_mode(
        store, name=unique("mode"), signals_seen=as_seen(store, [signal.id]), actor=COUNCIL, status="accepted"
    )
    return plan_fix(
        store, failure_mode_id=mode.id, title="Remember tenant", owner_team_id=1, due_on=None, actor=COUNCIL
    )


def _shipped(store) -> Fix:
    fix = _fix(store)
    fix = advance_fix(store, fix_id=fix.id, expected_version=fix.version, status="in_progress", actor=COUNCIL)
    return advance_fix(
        store,
        fix_id=fix.id,
        expected_version=fix.version,
        status="shipped",
        what_changed="Fixed.",
        actor=COUNCIL,
    )


def _notice(store) -> int:
    return draft_notices(store, fix_id=_shipped(store).id, actor=COUNCIL)[0].id


def _get(store, model, row_id):
    with store.read() as session:
        return session.get(model, row_id)


def _version(model):
    return lambda store, row_id: _get(store, model, row_id).version


def _last_update_note(store, fix_id: int) -> str | None:
    with store.read() as session:
        notes = session.exec(
            select(Event.note)
            .where(Event.entity == "fix", Event.entity_id == fix_id, Event.action == "update")
            .order_by(col(Event.id))
        ).all()
    return notes[-1] if notes else None


PATHS = [
    WritePath(
        service="cxos.fixes.loops.save_template",
        prepare=lambda store: None,
        load=lambda store, _: _template(store)[1],
        save=lambda store, _, actor, seen, value: save_template(
            store, template=f"{value}: {{title}}", expected_version=seen, actor=actor
        ),
        read=lambda store, _: _template(store)[0],
        expected=lambda value: f"{value}: {{title}}",
    ),
    WritePath(
        service="cxos.fixes.lifecycle.update_fix",
        prepare=lambda store: _fix(store).id,
        load=_version(Fix),
        save=lambda store, fix_id, actor, seen, value: update_fix(
            store, fix_id=fix_id, expected_version=seen, changes={"title": value}, actor=actor
        ),
        read=lambda store, fix_id: _get(store, Fix, fix_id).title,
    ),
    WritePath(  # the first moves it on with its text; the second, from the same copy, would write another
        service="cxos.fixes.lifecycle.advance_fix",
        prepare=lambda store: _fix(store).id,
        load=_version(Fix),
        save=lambda store, fix_id, actor, seen, value: advance_fix(
            store,
            fix_id=fix_id,
            expected_version=seen,
            status="shipped",
            what_changed=value,
            actor=actor,
        ),
        read=lambda store, fix_id: _get(store, Fix, fix_id).what_changed,
    ),
    WritePath(
        service="cxos.fixes.lifecycle.record_fix_update",
        prepare=lambda store: _fix(store).id,
        load=_version(Fix),
        save=lambda store, fix_id, actor, seen, value: record_fix_update(
            store, fix_id=fix_id, expected_version=seen, note=value, actor=actor
        ),
        read=_last_update_note,
    ),
    WritePath(
        service="cxos.fixes.loops.edit_notice",
        prepare=_notice,
        load=_version(LoopNotice),
        save=lambda store, notice_id, actor, seen, value: edit_notice(
            store, notice_id=notice_id, expected_version=seen, body=value, actor=actor
        ),
        read=lambda store, notice_id: _get(store, LoopNotice, notice_id).body,
        expected=lambda value: value + "\n",
    ),
    WritePath(  # someone rewords the notice; sending the old wording from a stale copy is refused
        service="cxos.fixes.loops.mark_sent",
        prepare=_notice,
        load=_version(LoopNotice),
        first_save=lambda store, notice_id, actor, seen, value: edit_notice(
            store, notice_id=notice_id, expected_version=seen, body=value, actor=actor
        ),
        save=lambda store, notice_id, actor, seen, value: mark_sent(
            store, notice_id=notice_id, expected_version=seen, actor=actor
        ),
        read=lambda store, notice_id: (
            _get(store, LoopNotice, notice_id).body,
            _get(store, LoopNotice, notice_id).status,
        ),
        expected=lambda value: (value + "\n", "drafted"),
    ),
]


def _template(store) -> tuple[str, int]:
    with store.read() as session:
        return notice_template(session), template_version(session)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.service.rsplit(".", 1)[-1])
def test_the_second_of_two_writers_on_a_fix_or_notice_is_refused_and_the_first_kept(journey_store, path):
    @PAIRS
    @given(writers=WRITERS, text=WORDS)
    def pair(writers, text):
        check_pair(journey_store, path, *writers, text)

    pair()


def test_due_dates_are_checked_against_the_version_seen_too(journey_store):
    fix = _fix(journey_store)
    update_fix(
        journey_store, fix_id=fix.id, expected_version=fix.version, changes={"due_on": today()}, actor=COUNCIL
    )
    with pytest.raises(Exception, match="after you opened it"):
        update_fix(
            journey_store,
            fix_id=fix.id,
            expected_version=fix.version,
            changes={"due_on": today() + timedelta(days=7)},
            actor=COUNCIL,
        )
    assert _get(journey_store, Fix, fix.id).due_on == today()
