"""Failure modes and their links: two people changing one from the same copy never lose the first change."""

import pytest
from hypothesis import given
from sqlmodel import select

from cxos.failure_modes.writes import (
    accept_failure_mode,
    create_failure_mode,
    link_signals,
    merge_failure_modes,
    split_failure_mode,
    unlink_signals,
    update_failure_mode,
)
from cxos.journey.map import teams, touchpoint_options
from cxos.models import FailureMode, Signal
from tests.conftest import COUNCIL
from tests.factories import routed_signal
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair, unique


def _signal(store) -> int:
    """One owned signal, as failure modes are made of."""
    with store.read() as session:
        touchpoint_id = touchpoint_options(session)[0].id
        team_id = teams(session)[0].id
    return routed_signal(store, touchpoint_id=touchpoint_id, team_id=team_id).id


def _mode(store, *, with_signal: bool = True, status: str = "candidate") -> int:
    seen = {}
    if with_signal:
        signal_id = _signal(store)
        seen = {signal_id: _get(store, Signal, signal_id).version}
    return create_failure_mode(store, name=unique("mode"), signals_seen=seen, status=status, actor=COUNCIL).id


def _get(store, model, row_id):
    with store.read() as session:
        return session.get(model, row_id)


def _signal_version(store, signal_id: int) -> int:
    return _get(store, Signal, signal_id).version


def _mode_version(store, mode_id: int) -> int:
    return _get(store, FailureMode, mode_id).version


def _mode_name_of_signal(store, signal_id: int) -> str | None:
    mode_id = _get(store, Signal, signal_id).failure_mode_id
    return None if mode_id is None else _get(store, FailureMode, mode_id).name


def _link_to_new_mode(store, signal_id, actor, seen, value):
    """Link the signal (as seen) to a new failure mode named `value`."""
    mode = create_failure_mode(store, name=value, signals_seen={}, actor=COUNCIL)
    return link_signals(store, failure_mode_id=mode.id, signals_seen={signal_id: seen}, actor=actor)


def _rename(store, mode_id, actor, seen, value):
    return update_failure_mode(
        store, failure_mode_id=mode_id, expected_version=seen, changes={"name": value}, actor=actor
    )


def _mode_name(store, mode_id: int) -> str:
    return _get(store, FailureMode, mode_id).name


PATHS = [
    WritePath(  # two people link one signal to different failure modes from the same copy
        service="cxos.failure_modes.writes.link_signals",
        prepare=_signal,
        load=_signal_version,
        save=_link_to_new_mode,
        read=_mode_name_of_signal,
    ),
    WritePath(  # one links it elsewhere; the other unlinks it from where they saw it
        service="cxos.failure_modes.writes.unlink_signals",
        prepare=lambda store: _members_of(store, _mode(store))[0],
        load=_signal_version,
        first_save=_link_to_new_mode,
        save=lambda store, signal_id, actor, seen, value: unlink_signals(
            store, signals_seen={signal_id: seen}, actor=actor
        ),
        read=_mode_name_of_signal,
    ),
    WritePath(  # two people accept candidates holding one signal: it ends in the first one's failure mode
        service="cxos.failure_modes.writes.create_failure_mode",
        prepare=_signal,
        load=_signal_version,
        save=lambda store, signal_id, actor, seen, value: create_failure_mode(
            store, name=value, signals_seen={signal_id: seen}, status="accepted", actor=actor
        ),
        read=_mode_name_of_signal,
    ),
    WritePath(
        service="cxos.failure_modes.writes.update_failure_mode",
        prepare=_mode,
        load=_mode_version,
        save=_rename,
        read=_mode_name,
    ),
    WritePath(
        service="cxos.failure_modes.writes.accept_failure_mode",
        prepare=_mode,
        load=_mode_version,
        first_save=_rename,
        save=lambda store, mode_id, actor, seen, value: accept_failure_mode(
            store, failure_mode_id=mode_id, expected_version=seen, actor=actor
        ),
        read=lambda store, mode_id: (_mode_name(store, mode_id), _get(store, FailureMode, mode_id).status),
        expected=lambda value: (value, "candidate"),
    ),
    WritePath(
        service="cxos.failure_modes.writes.merge_failure_modes",
        prepare=lambda store: (_mode(store), _mode(store, with_signal=False)),
        load=lambda store, modes: _mode_version(store, modes[0]),
        first_save=lambda store, modes, actor, seen, value: _rename(store, modes[0], actor, seen, value),
        save=lambda store, modes, actor, seen, value: merge_failure_modes(
            store,
            source_id=modes[0],
            source_version=seen,
            target_id=modes[1],
            target_version=_mode_version(store, modes[1]),
            actor=actor,
        ),
        read=lambda store, modes: (_mode_name(store, modes[0]), _get(store, FailureMode, modes[0]).status),
        expected=lambda value: (value, "candidate"),
    ),
    WritePath(
        service="cxos.failure_modes.writes.split_failure_mode",
        prepare=_mode,
        load=_mode_version,
        first_save=_rename,
        save=lambda store, mode_id, actor, seen, value: split_failure_mode(
            store,
            failure_mode_id=mode_id,
            expected_version=seen,
            signal_ids=_members_of(store, mode_id),
            name=value,
            actor=actor,
        ),
        read=lambda store, mode_id: (_mode_name(store, mode_id), len(_members_of(store, mode_id))),
        expected=lambda value: (value, 1),
    ),
]


def _members_of(store, mode_id: int) -> list[int]:
    with store.read() as session:
        return list(session.exec(select(Signal.id).where(Signal.failure_mode_id == mode_id)))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.service.rsplit(".", 1)[-1])
def test_the_second_of_two_writers_on_a_failure_mode_is_refused_and_the_first_kept(journey_store, path):
    @PAIRS
    @given(writers=WRITERS, text=WORDS)
    def pair(writers, text):
        check_pair(journey_store, path, *writers, text)

    pair()
