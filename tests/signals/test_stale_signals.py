"""Signal edits: two people changing one signal from the same copy never lose the first change."""

import pytest
from hypothesis import given

from cxos.errors import StaleWrite
from cxos.journey.map import teams, touchpoint_options
from cxos.models import Signal
from cxos.signals.writes import accept_owners, assign_owner, confirm_owner, set_status, update_signal
from tests.factories import log_signal, routed_signal
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair


def _places(store) -> tuple[int, list[int]]:
    with store.read() as session:
        return touchpoint_options(session)[0].id, [team.id for team in teams(session)]


def _logged(store) -> int:
    return log_signal(store, touchpoint_id=_places(store)[0]).id


def _routed(store) -> int:
    touchpoint_id, team_ids = _places(store)
    return routed_signal(store, touchpoint_id=touchpoint_id, team_id=team_ids[0]).id


def _get(store, signal_id: int) -> Signal:
    with store.read() as session:
        return session.get(Signal, signal_id)


def _version(store, signal_id: int) -> int:
    return _get(store, signal_id).version


def _retitle(store, signal_id, actor, seen, value):
    return update_signal(
        store, signal_id=signal_id, expected_version=seen, changes={"title": value}, actor=actor
    )


def _title(store, signal_id: int) -> str:
    return _get(store, signal_id).title


def _accept(store, signal_id, actor, seen, value):
    """The council's accept, many signals in one transaction: a stale one is refused on its own, its answer."""
    done, refused = accept_owners(
        store, items=[(signal_id, seen)], owners={signal_id: _places(store)[1][-1]}, actor=actor
    )
    if refused:
        raise StaleWrite(refused[0][1])
    return done


PATHS = [
    WritePath(
        service="cxos.signals.writes.update_signal",
        prepare=_logged,
        load=_version,
        save=_retitle,
        read=_title,
    ),
    WritePath(
        service="cxos.signals.writes.set_status",
        prepare=_logged,
        load=_version,
        first_save=_retitle,
        save=lambda store, signal_id, actor, seen, value: set_status(
            store, signal_id=signal_id, expected_version=seen, status="needs_info", reason=value, actor=actor
        ),
        read=lambda store, signal_id: (_title(store, signal_id), _get(store, signal_id).status),
        expected=lambda value: (value, "new"),
    ),
    WritePath(
        service="cxos.signals.writes.assign_owner",
        prepare=_logged,
        load=_version,
        first_save=_retitle,
        save=lambda store, signal_id, actor, seen, value: assign_owner(
            store, signal_id=signal_id, expected_version=seen, team_id=_places(store)[1][-1], actor=actor
        ),
        read=lambda store, signal_id: (_title(store, signal_id), _get(store, signal_id).owner_team_id),
        expected=lambda value: (value, None),
    ),
    WritePath(
        service="cxos.signals.writes.confirm_owner",
        prepare=_routed,
        load=_version,
        first_save=_retitle,
        save=lambda store, signal_id, actor, seen, value: confirm_owner(
            store, signal_id=signal_id, expected_version=seen, actor=actor
        ),
        read=_title,
    ),
    WritePath(
        service="cxos.signals.writes.accept_owners",
        prepare=_logged,
        load=_version,
        first_save=_retitle,
        save=_accept,
        read=lambda store, signal_id: (_title(store, signal_id), _get(store, signal_id).owner_team_id),
        expected=lambda value: (value, None),
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.service.rsplit(".", 1)[-1])
def test_the_second_of_two_writers_on_a_signal_is_refused_and_the_first_kept(journey_store, path):
    @PAIRS
    @given(writers=WRITERS, text=WORDS)
    def pair(writers, text):
        check_pair(journey_store, path, *writers, text)

    pair()
