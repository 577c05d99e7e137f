"""Import profiles and the connected sheet: two people saving from the same copy never lose the first save."""

from dataclasses import replace

import pytest
from hypothesis import given

from cxos.errors import NotFound
from cxos.importers.mapping import Profile
from cxos.importers.profiles import delete_profile, get_profile, save_profile
from cxos.importers.sheet_source import (
    SheetConnection,
    connection_version,
    forget_connection,
    load_connection,
    save_connection,
)
from cxos.vocabulary import Role
from tests.conftest import COUNCIL
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair, unique

MAPPING = {"Subject": "title", "Created": "created_at"}


def _saved(store) -> Profile:
    return save_profile(store, profile=Profile(unique("Zendesk export"), "csv", MAPPING), actor=COUNCIL)


def _prefix(store, name: str) -> str:
    return get_profile(store, name).ref_prefix


def _resave(store, seen: Profile, actor, value: str) -> Profile:
    return save_profile(store, profile=replace(seen, ref_prefix=value), actor=actor)


def _connect(store, seen_version, actor, worksheet: str):
    return save_connection(
        store,
        connection=SheetConnection("1AbC", worksheet, "Connected sheet"),
        expected_version=seen_version,
        actor=actor,
    )


def _profile_for_connections(store) -> None:
    """The saved profile a connection names (once per store)."""
    try:
        get_profile(store, "Connected sheet")
    except NotFound:
        save_profile(store, profile=Profile("Connected sheet", "google_sheet", MAPPING), actor=COUNCIL)


PATHS = [
    WritePath(  # both opened the saved profile: the second save of its mapping is refused
        service="cxos.importers.profiles.save_profile",
        prepare=lambda store: _saved(store).name,
        load=get_profile,
        save=lambda store, name, actor, seen, value: _resave(store, seen, actor, value),
        read=_prefix,
        role=Role.COUNCIL,
    ),
    WritePath(  # both start a new profile of one name: the second is refused, naming who saved it first
        service="cxos.importers.profiles.save_profile",
        prepare=lambda store: unique("Intercom export"),
        load=lambda store, name: Profile(name, "csv", MAPPING),
        save=lambda store, name, actor, seen, value: _resave(store, seen, actor, value),
        read=_prefix,
        role=Role.COUNCIL,
    ),
    WritePath(
        service="cxos.importers.profiles.delete_profile",
        prepare=lambda store: _saved(store).name,
        load=get_profile,
        first_save=lambda store, name, actor, seen, value: _resave(store, seen, actor, value),
        save=lambda store, name, actor, seen, value: delete_profile(
            store, profile_id=seen.id, expected_version=seen.version, actor=actor
        ),
        read=_prefix,
        role=Role.COUNCIL,
    ),
    WritePath(
        service="cxos.importers.sheet_source.save_connection",
        prepare=_profile_for_connections,
        load=lambda store, _: connection_version(store),
        save=lambda store, _, actor, seen, value: _connect(store, seen, actor, value),
        read=lambda store, _: load_connection(store).worksheet,
        role=Role.COUNCIL,
    ),
    WritePath(  # one connects another worksheet; disconnecting from the copy before that is refused
        service="cxos.importers.sheet_source.forget_connection",
        prepare=_profile_for_connections,
        load=lambda store, _: connection_version(store),
        first_save=lambda store, _, actor, seen, value: _connect(store, seen, actor, value),
        save=lambda store, _, actor, seen, value: forget_connection(
            store, expected_version=seen, actor=actor
        ),
        read=lambda store, _: load_connection(store).worksheet,
        role=Role.COUNCIL,
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.service.rsplit(".", 1)[-1])
def test_the_second_of_two_writers_on_a_profile_or_connection_is_refused_and_the_first_kept(
    journey_store, path
):
    @PAIRS
    @given(writers=WRITERS, text=WORDS)
    def pair(writers, text):
        check_pair(journey_store, path, *writers, text)

    pair()
