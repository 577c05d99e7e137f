"""Settings are written against the version seen: two people saving one setting from the same copy never lose
the first save, and write_setting checks the role itself."""

import itertools

import pytest
from hypothesis import given

from cxos.errors import NotAllowed
from cxos.store.settings import (
    CONNECTED_SHEET,
    NEVER_SAVED,
    NOTICE_TEMPLATE,
    read_setting,
    setting_version,
    write_setting,
    write_settings,
)
from tests.conftest import ADMIN, CONTRIBUTOR, COUNCIL, VIEWER
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair

_KEYS = itertools.count(1)
COSTS = ("cost_live_contact", "cost_self_service_contact", "cost_per_ticket")


def _version(store, key: str) -> int:
    with store.read() as session:
        return setting_version(session, key)


def _value(store, key: str) -> str | None:
    with store.read() as session:
        return read_setting(session, key)


def _saved_key(store) -> str:
    key = f"test_setting_{next(_KEYS)}"
    write_setting(store, key=key, value="as it was", expected_version=NEVER_SAVED, actor=ADMIN)
    return key


PATHS = [
    WritePath(
        service="cxos.store.settings.write_setting",
        prepare=_saved_key,
        load=_version,
        save=lambda store, key, actor, seen, value: write_setting(
            store, key=key, value=value, expected_version=seen, actor=actor
        ),
        read=_value,
    ),
    WritePath(  # both saw it never saved: the second first save is refused, not a second row or an overwrite
        service="cxos.store.settings.write_setting",
        prepare=lambda store: f"test_setting_{next(_KEYS)}",
        load=_version,
        save=lambda store, key, actor, seen, value: write_setting(
            store, key=key, value=value, expected_version=seen, actor=actor
        ),
        read=_value,
    ),
    WritePath(  # the KPI page's costs: several settings in one transaction
        service="cxos.store.settings.write_settings",
        prepare=lambda store: COSTS,
        load=lambda store, keys: {key: _version(store, key) for key in keys},
        save=lambda store, keys, actor, seen, value: write_settings(
            store, values={key: (f"{value} {key}", seen[key]) for key in keys}, actor=actor
        ),
        read=lambda store, keys: _value(store, keys[-1]),
        expected=lambda value: f"{value} {COSTS[-1]}",
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.service.rsplit(".", 1)[-1])
def test_the_second_of_two_writers_on_a_setting_is_refused_and_the_first_kept(store, path):
    @PAIRS
    @given(writers=WRITERS, text=WORDS)
    def pair(writers, text):
        check_pair(store, path, *writers, text)

    pair()


def test_a_refused_cost_save_changes_none_of_the_costs(store):
    seen = {key: _version(store, key) for key in COSTS}
    write_setting(store, key=COSTS[1], value="0.50", expected_version=seen[COSTS[1]], actor=ADMIN)
    with pytest.raises(Exception, match="cost per self-service contact was changed by Ada Admin"):
        write_settings(store, values={key: ("9.99", seen[key]) for key in COSTS}, actor=ADMIN)
    assert [_value(store, key) for key in COSTS] == [None, "0.50", None]


@pytest.mark.parametrize(
    ("key", "allowed", "refused"),
    [
        ("cost_per_ticket", ADMIN, COUNCIL),  # any key not listed is an admin's
        (NOTICE_TEMPLATE, COUNCIL, CONTRIBUTOR),
        (CONNECTED_SHEET, COUNCIL, VIEWER),
    ],
)
def test_write_setting_checks_the_role_itself(sqlite_store, key, allowed, refused):
    with pytest.raises(NotAllowed, match="role"):
        write_setting(sqlite_store, key=key, value="x", expected_version=NEVER_SAVED, actor=refused)
    assert _value(sqlite_store, key) is None
    write_setting(sqlite_store, key=key, value="x", expected_version=NEVER_SAVED, actor=allowed)
    assert _value(sqlite_store, key) == "x"
