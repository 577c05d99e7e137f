"""Placing an unplaced imported row: two people placing the same row from the same list never both succeed."""

import zlib

import pytest
from hypothesis import given
from sqlmodel import select

from cxos.importers.batch import import_file
from cxos.importers.mapping import Profile
from cxos.importers.unplaced import place_row
from cxos.journey.map import touchpoint_options
from cxos.models import Signal, Touchpoint, UnplacedRow
from cxos.vocabulary import Role
from tests.conftest import COUNCIL
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair, unique

TEXT_ONLY = Profile("Text only", "csv", {"Text": "message"})


def _held(store) -> int:
    """One imported row no rule places (the text is new each time): held in the Unplaced list."""
    text = unique("A strange feeling")
    import_file(
        store, data=f"Text\n{text}\n".encode(), filename="notes.csv", profile=TEXT_ONLY, actor=COUNCIL
    )
    with store.read() as session:
        return session.exec(select(UnplacedRow.id).where(UnplacedRow.title == text)).one()


PLACES = ["Webinars", "Kickoff call", "Data import", "Status page"]  # touchpoints of the journey template


def _place_named(value: str) -> str:
    """A touchpoint picked by the person's value, so each person's save is a placement of its own."""
    return PLACES[zlib.crc32(value.encode()) % len(PLACES)]


def _touchpoint_for(store, value: str) -> int:
    with store.read() as session:
        return next(tp.id for tp in touchpoint_options(session) if tp.name == _place_named(value))


def _version(store, held_id: int) -> int:
    with store.read() as session:
        return session.get(UnplacedRow, held_id).version


def _placed_at(store, held_id: int) -> str | None:
    """The name of the touchpoint the row's signal is at (None while it waits)."""
    with store.read() as session:
        held = session.get(UnplacedRow, held_id)
        signal = session.get(Signal, held.placed_signal_id) if held.placed_signal_id else None
        return session.get(Touchpoint, signal.touchpoint_id).name if signal else None


def _place(store, held_id, actor, seen, value):
    return place_row(
        store,
        held_id=held_id,
        expected_version=seen,
        touchpoint_id=_touchpoint_for(store, value),
        actor=actor,
    )


PATHS = [
    WritePath(  # both see the row in the Unplaced list and place it: the second is refused, one signal stored
        service="cxos.importers.unplaced.place_row",
        prepare=_held,
        load=_version,
        save=_place,
        read=_placed_at,
        role=Role.COUNCIL,
        expected=_place_named,  # the touchpoint the first writer chose
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.service.rsplit(".", 1)[-1])
def test_the_second_of_two_people_placing_one_row_is_refused_and_the_first_placement_kept(
    journey_store, path
):
    @PAIRS
    @given(writers=WRITERS, text=WORDS)
    def pair(writers, text):
        check_pair(journey_store, path, *writers, text)

    pair()
