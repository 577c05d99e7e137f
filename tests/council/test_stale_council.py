"""Council records and triage: two people changing one from the same copy never lose the first change."""

import json

import pytest
from hypothesis import given

from cxos.council import sessions as council
from cxos.council import triage
from cxos.errors import StaleWrite
from cxos.failure_modes.writes import create_failure_mode, link_signals
from cxos.journey.map import teams, touchpoint_options
from cxos.models import CouncilAction, CouncilSession, FailureMode, Signal
from cxos.vocabulary import Role
from tests.conftest import COUNCIL
from tests.factories import routed_signal
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair, unique


def _open_session(store) -> int:
    return council.start_session(store, actor=COUNCIL).id


def _action(store) -> int:
    return council.add_action(
        store,
        session_id=_open_session(store),
        text=unique("Fix the SSO docs"),
        owner="Knowledge",
        due_on=None,
        actor=COUNCIL,
    ).id


def _get(store, model, row_id):
    with store.read() as session:
        return session.get(model, row_id)


def _version(model):
    return lambda store, row_id: _get(store, model, row_id).version


def _attend(store, session_id, actor, seen, value):
    """Someone adds an attendee (set_attendees merges additions into the list as it is now, so it has no
    stale copy to refuse; it still moves the session's version)."""
    return council.set_attendees(store, session_id=session_id, seen=[], attendees=[value], actor=actor)


def _attendees(store, session_id: int) -> list[str]:
    return json.loads(_get(store, CouncilSession, session_id).attendees)


def _signal(store) -> int:
    with store.read() as session:
        touchpoint_id, team_id = touchpoint_options(session)[0].id, teams(session)[0].id
    return routed_signal(store, touchpoint_id=touchpoint_id, team_id=team_id).id


def _link_to_new_mode(store, signal_id, actor, seen, value):
    mode = create_failure_mode(store, name=value, signals_seen={}, actor=COUNCIL)
    return link_signals(store, failure_mode_id=mode.id, signals_seen={signal_id: seen}, actor=actor)


def _mode_name_of_signal(store, signal_id: int) -> str | None:
    mode_id = _get(store, Signal, signal_id).failure_mode_id
    return None if mode_id is None else _get(store, FailureMode, mode_id).name


def _bulk_link(store, signal_id, actor, seen, value):
    """The council's bulk triage: it refuses a stale row on its own and goes on; the refusal is its answer."""
    mode = create_failure_mode(store, name=value, signals_seen={}, actor=COUNCIL)
    result = triage.bulk_triage(
        store, items=[(signal_id, seen)], action="link", failure_mode_id=mode.id, actor=actor
    )
    if result.refused:
        raise StaleWrite(result.refused[0][1])
    return result


PATHS = [
    WritePath(  # someone adds an attendee; closing with the minutes of the copy before is refused
        service="cxos.council.sessions.close_session",
        prepare=_open_session,
        load=_version(CouncilSession),
        first_save=_attend,
        save=lambda store, session_id, actor, seen, value: council.close_session(
            store, session_id=session_id, expected_version=seen, minutes=value, actor=actor
        ),
        read=lambda store, session_id: (
            _attendees(store, session_id)[
                -1:
            ],  # the attendee the first writer added (after whoever opened it)
            _get(store, CouncilSession, session_id).status,
        ),
        expected=lambda value: ([value], "open"),
        role=Role.COUNCIL,
    ),
    WritePath(  # one marks the action done; the other drops it from the same copy
        service="cxos.council.sessions.set_action_status",
        prepare=_action,
        load=_version(CouncilAction),
        first_save=lambda store, action_id, actor, seen, value: council.set_action_status(
            store, action_id=action_id, expected_version=seen, status="done", actor=actor
        ),
        save=lambda store, action_id, actor, seen, value: council.set_action_status(
            store, action_id=action_id, expected_version=seen, status="dropped", actor=actor
        ),
        read=lambda store, action_id: _get(store, CouncilAction, action_id).status,
        expected=lambda value: "done",
        role=Role.COUNCIL,
    ),
    WritePath(
        service="cxos.council.triage.link_seen_signal",
        prepare=_signal,
        load=_version(Signal),
        first_save=_link_to_new_mode,
        save=lambda store, signal_id, actor, seen, value: triage.link_seen_signal(
            store,
            signal_id=signal_id,
            expected_version=seen,
            failure_mode_id=create_failure_mode(store, name=value, signals_seen={}, actor=COUNCIL).id,
            actor=actor,
        ),
        read=_mode_name_of_signal,
        role=Role.COUNCIL,
    ),
    WritePath(
        service="cxos.council.triage.bulk_triage",
        prepare=_signal,
        load=_version(Signal),
        save=_bulk_link,
        read=_mode_name_of_signal,
        role=Role.COUNCIL,
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.service.rsplit(".", 1)[-1])
def test_the_second_of_two_council_members_is_refused_and_the_first_kept(journey_store, path):
    @PAIRS
    @given(writers=WRITERS, text=WORDS)
    def pair(writers, text):
        check_pair(journey_store, path, *writers, text)

    pair()
