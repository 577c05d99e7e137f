"""Routing rules and their order: two admins changing them from the same copy never lose the first change."""

import pytest
from hypothesis import given

from cxos.errors import StaleWrite
from cxos.journey.map import teams
from cxos.models import Rule
from cxos.routing.rule_files import import_rules, rule_versions
from cxos.routing.rules import create_rule, delete_rule, list_rules, move_rule, set_rule_enabled, update_rule
from tests.conftest import ADMIN
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair


def _rule(store, name: str = "Imports to Product") -> int:
    with store.read() as session:
        team_id = teams(session)[0].id
    rule_in = {
        "name": name,
        "owner_team_id": team_id,
        "conditions": [{"field": "touchpoint", "op": "is", "value": "Data import"}],
    }
    return create_rule(store, rule_in=rule_in, actor=ADMIN).id


def _get(store, rule_id: int) -> Rule | None:
    with store.read() as session:
        return session.get(Rule, rule_id)


def _version(store, rule_id: int) -> int:
    return _get(store, rule_id).version


def _name(store, rule_id: int) -> str:
    return _get(store, rule_id).name


def _rename(store, rule_id, actor, seen, value):
    return update_rule(store, rule_id=rule_id, expected_version=seen, changes={"name": value}, actor=actor)


def _three(store) -> tuple[int, int, int]:
    """Rules a, b, c at the end of the order."""
    return tuple(_rule(store, name) for name in "abc")


def _order(store, ids) -> list[str]:
    with store.read() as session:
        return [rule.name for rule in list_rules(session) if rule.id in ids]


def _versions(store, ids) -> dict[int, int]:
    return {rule_id: _version(store, rule_id) for rule_id in ids}


def _all_versions(store) -> dict[int, int]:
    with store.read() as session:
        return rule_versions(session)


def _replace_from_file(store, actor, seen) -> int:
    with store.read() as session:
        team = teams(session)[0].name
    text = f"rules:\n  - name: From the file\n    owner: {team}\n    conditions:\n"
    text += "      - {field: touchpoint, op: is, value: Data import}\n"
    return import_rules(store, text=text, actor=actor, replace=True, rules_seen=seen)


PATHS = [
    WritePath(
        service="cxos.routing.rules.update_rule",
        prepare=_rule,
        load=_version,
        save=_rename,
        read=_name,
    ),
    WritePath(
        service="cxos.routing.rules.set_rule_enabled",
        prepare=_rule,
        load=_version,
        first_save=_rename,
        save=lambda store, rule_id, actor, seen, value: set_rule_enabled(
            store, rule_id=rule_id, expected_version=seen, enabled=False, actor=actor
        ),
        read=lambda store, rule_id: (_name(store, rule_id), _get(store, rule_id).enabled),
        expected=lambda value: (value, True),
    ),
    WritePath(  # a rule someone changed is not deleted from a copy that predates their change
        service="cxos.routing.rules.delete_rule",
        prepare=_rule,
        load=_version,
        first_save=_rename,
        save=lambda store, rule_id, actor, seen, value: delete_rule(
            store, rule_id=rule_id, expected_version=seen, actor=actor
        ),
        read=_name,
    ),
    WritePath(  # both saw a, b, c: the first moves c above b; the second's "a below b" is no longer what it saw
        service="cxos.routing.rules.move_rule",
        prepare=_three,
        load=_versions,
        first_save=lambda store, ids, actor, seen, value: move_rule(
            store,
            rule_id=ids[2],
            expected_version=seen[ids[2]],
            direction=-1,
            neighbour=(ids[1], seen[ids[1]]),
            actor=actor,
        ),
        save=lambda store, ids, actor, seen, value: move_rule(
            store,
            rule_id=ids[0],
            expected_version=seen[ids[0]],
            direction=1,
            neighbour=(ids[1], seen[ids[1]]),
            actor=actor,
        ),
        read=_order,
        expected=lambda value: ["a", "c", "b"],
    ),
    WritePath(  # both saw the list; the first renames a rule; the second's file must not replace it unseen
        service="cxos.routing.rule_files.import_rules",
        prepare=_rule,
        load=lambda store, rule_id: _all_versions(store),
        first_save=lambda store, rule_id, actor, seen, value: _rename(
            store, rule_id, actor, seen[rule_id], value
        ),
        save=lambda store, rule_id, actor, seen, value: _replace_from_file(store, actor, seen),
        read=_name,
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.service.rsplit(".", 1)[-1])
def test_the_second_of_two_admins_on_a_rule_is_refused_and_the_first_kept(journey_store, path):
    @PAIRS
    @given(writers=WRITERS, text=WORDS)
    def pair(writers, text):
        check_pair(journey_store, path, *writers, text)

    pair()


def test_a_move_names_the_order_that_changed_and_who_changed_it(journey_store):
    a, b, c = _three(journey_store)
    seen = _versions(journey_store, (a, b, c))
    move_rule(
        journey_store, rule_id=c, expected_version=seen[c], direction=-1, neighbour=(b, seen[b]), actor=ADMIN
    )
    with pytest.raises(
        Exception, match=r"^The rule order was changed by Ada Admin at .* UTC after you opened it"
    ):
        move_rule(
            journey_store,
            rule_id=a,
            expected_version=seen[a],
            direction=1,
            neighbour=(b, seen[b]),
            actor=ADMIN,
        )


def test_a_move_next_to_a_deleted_rule_names_who_deleted_it(journey_store):
    a, b, _ = _three(journey_store)
    seen = _versions(journey_store, (a, b))
    delete_rule(journey_store, rule_id=b, expected_version=seen[b], actor=ADMIN)
    with pytest.raises(Exception, match="The rule order was changed by Ada Admin"):
        move_rule(
            journey_store,
            rule_id=a,
            expected_version=seen[a],
            direction=1,
            neighbour=(b, seen[b]),
            actor=ADMIN,
        )


def test_a_replace_after_a_rule_was_added_names_the_new_rule_and_who_added_it(journey_store):
    seen = _all_versions(journey_store)
    added = _rule(journey_store, "Added meanwhile")
    with pytest.raises(
        StaleWrite, match=r"^The rule list was changed by Ada Admin at .* UTC after you opened it"
    ):
        _replace_from_file(journey_store, ADMIN, seen)
    assert _name(journey_store, added) == "Added meanwhile"


def test_a_replace_after_a_rule_was_deleted_names_who_deleted_it(journey_store):
    a, b, _ = _three(journey_store)
    seen = _all_versions(journey_store)
    delete_rule(journey_store, rule_id=b, expected_version=seen[b], actor=ADMIN)
    with pytest.raises(StaleWrite, match="The rule list was changed by Ada Admin"):
        _replace_from_file(journey_store, ADMIN, seen)
    assert _name(journey_store, a) == "a"


def test_a_replace_from_the_list_as_it_is_replaces_it(journey_store):
    _three(journey_store)
    assert _replace_from_file(journey_store, ADMIN, _all_versions(journey_store)) == 1
    with journey_store.read() as session:
        assert [rule.name for rule in list_rules(session)] == ["From the file"]


def test_a_replace_without_the_rules_seen_is_a_programming_error(journey_store):
    with pytest.raises(ValueError, match="rules seen"):
        import_rules(journey_store, text="rules: []\n", actor=ADMIN, replace=True)
