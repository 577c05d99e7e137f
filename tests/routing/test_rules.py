"""Rules as data: validation, admin-only changes with events and version checks, order, YAML in and out."""

import json

import pytest
from sqlmodel import select

from cxos.errors import NotAllowed, StaleWrite, ValidationFailed
from cxos.journey.map import teams
from cxos.models import Event, Rule
from cxos.routing.rule_files import (
    DEFAULT_RULES,
    condition_lines,
    export_rules,
    import_rules,
    load_default_rules,
    parse_condition_lines,
    rule_versions,
)
from cxos.routing.rules import (
    check_condition,
    create_rule,
    delete_rule,
    list_rules,
    move_rule,
    set_rule_enabled,
    update_rule,
)
from tests.conftest import ADMIN, COUNCIL


def _team(store, name="Product") -> int:
    with store.read() as session:
        return next(t.id for t in teams(session) if t.name == name)


def _rule_in(store, **extra) -> dict:
    return {
        "name": "Imports to Product",
        "owner_team_id": _team(store),
        "conditions": [{"field": "touchpoint", "op": "is", "value": "Data import"}],
    } | extra


def _rules(store) -> list[Rule]:
    with store.read() as session:
        return list_rules(session)


def _rule_events(store) -> list[Event]:
    with store.read() as session:
        return list(session.exec(select(Event).where(Event.entity == "rule").order_by(Event.id)))


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        ({"field": "colour", "op": "is", "value": "red"}, "unknown field"),
        ({"field": "text", "op": "is", "value": "x"}, "takes the operators"),
        ({"field": "text", "op": "matches", "value": "(unclosed"}, "does not compile"),
        ({"field": "source", "op": "is", "value": "fax"}, "source has no 'fax'"),
        ({"field": "arr", "op": "between", "value": [None, None]}, "at least a min or a max"),
        ({"field": "arr", "op": "between", "value": [500, 100]}, "min is above the max"),
        ({"field": "source", "op": "is", "value": ["ticket", "slack"]}, "takes one value"),
    ],
)
def test_bad_conditions_are_refused_with_the_reason(condition, why):
    with pytest.raises(ValueError, match=why):
        check_condition(condition)


def test_condition_values_are_stored_in_their_canonical_spelling():
    assert check_condition({"field": "source", "op": "in", "value": ["Support ticket", "SLACK"]})[
        "value"
    ] == ["ticket", "slack"]
    assert check_condition({"field": "arr", "op": "between", "value": ["1000", None]})["value"] == [
        1000,
        None,
    ]


def test_an_admin_creates_a_rule_with_its_event_at_the_end_of_the_order(journey_store):
    first = create_rule(journey_store, rule_in=_rule_in(journey_store), actor=ADMIN)
    second = create_rule(journey_store, rule_in=_rule_in(journey_store, name="Second"), actor=ADMIN)
    assert [r.id for r in _rules(journey_store)] == [first.id, second.id]
    assert [(e.action, e.entity_id, e.actor) for e in _rule_events(journey_store)] == [
        ("created", first.id, ADMIN.name),
        ("created", second.id, ADMIN.name),
    ]


def test_only_admins_change_rules(journey_store):
    with pytest.raises(NotAllowed, match="changing routing rules"):
        create_rule(journey_store, rule_in=_rule_in(journey_store), actor=COUNCIL)
    assert _rules(journey_store) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"owner_team_id": 99_999}, "owner_team_id"),
        ({"root_cause": "Bad luck"}, "root_cause"),
        ({"conditions": []}, "conditions"),
        ({"name": " "}, "name"),
        ({"conditions": [{"field": "stage", "op": "is", "value": "Nowhere"}]}, "condition 1"),
    ],
)
def test_an_invalid_rule_is_refused_per_part(journey_store, change, field):
    with pytest.raises(ValidationFailed) as refused:
        create_rule(journey_store, rule_in=_rule_in(journey_store) | change, actor=ADMIN)
    assert field in refused.value.problems


def test_editing_a_stale_rule_is_refused_and_logged(journey_store):
    rule = create_rule(journey_store, rule_in=_rule_in(journey_store), actor=ADMIN)
    update_rule(journey_store, rule_id=rule.id, expected_version=1, changes={"name": "Renamed"}, actor=ADMIN)
    with pytest.raises(StaleWrite):
        set_rule_enabled(journey_store, rule_id=rule.id, expected_version=1, enabled=False, actor=ADMIN)
    assert [e.action for e in _rule_events(journey_store)] == ["created", "updated", "refused"]
    assert _rules(journey_store)[0].enabled


def test_enable_disable_writes_one_event(journey_store):
    rule = create_rule(journey_store, rule_in=_rule_in(journey_store), actor=ADMIN)
    set_rule_enabled(journey_store, rule_id=rule.id, expected_version=1, enabled=False, actor=ADMIN)
    event = _rule_events(journey_store)[-1]
    assert (event.field, event.from_value, event.to_value) == ("enabled", "True", "False")
    assert not _rules(journey_store)[0].enabled


def test_moving_a_rule_swaps_it_with_its_neighbour(journey_store):
    a, b, c = (
        create_rule(journey_store, rule_in=_rule_in(journey_store, name=n), actor=ADMIN) for n in "abc"
    )
    move_rule(journey_store, rule_id=c.id, expected_version=1, direction=-1, neighbour=(b.id, 1), actor=ADMIN)
    assert [r.name for r in _rules(journey_store)] == ["a", "c", "b"]
    with pytest.raises(ValidationFailed):  # nothing above the first rule
        move_rule(
            journey_store, rule_id=a.id, expected_version=1, direction=-1, neighbour=(0, 0), actor=ADMIN
        )
    moves = [
        (e.entity_id, e.from_value, e.to_value) for e in _rule_events(journey_store) if e.action == "moved"
    ]
    assert sorted(moves) == sorted([(c.id, "3", "2"), (b.id, "2", "3")])


def test_deleting_a_rule_keeps_its_last_state_in_the_history(journey_store):
    rule = create_rule(journey_store, rule_in=_rule_in(journey_store), actor=ADMIN)
    delete_rule(journey_store, rule_id=rule.id, expected_version=1, actor=ADMIN)
    assert _rules(journey_store) == []
    assert json.loads(_rule_events(journey_store)[-1].note)["name"] == "Imports to Product"


def test_default_rules_load_and_round_trip_through_yaml(journey_store):
    count = load_default_rules(journey_store, actor=ADMIN)
    assert count == len(_rules(journey_store)) >= 10
    exported = export_rules(journey_store)
    with journey_store.read() as session:
        seen = rule_versions(session)
    assert import_rules(journey_store, text=exported, actor=ADMIN, replace=True, rules_seen=seen) == count
    assert export_rules(journey_store) == exported
    assert load_default_rules(journey_store, actor=ADMIN) == 0  # never on top of existing rules


def test_a_malformed_rule_file_is_refused_with_line_and_reason(journey_store):
    text = (
        DEFAULT_RULES.read_text(encoding="utf-8")
        + "  - name: Broken\n"
        + "    owner: Nobody\n"
        + "    conditions:\n"
        + "      - {field: source, op: is, value: ticket}\n"
        + "      - {field: text, op: matches, value: 'invoice(s'}\n"
    )
    lines = text.splitlines()
    with pytest.raises(ValidationFailed) as refused:
        import_rules(journey_store, text=text, actor=ADMIN)
    problems = refused.value.problems
    assert "not an active team" in problems[f"line {len(lines) - 4}"]
    assert "does not compile" in problems[f"line {len(lines)}"]
    assert _rules(journey_store) == []  # all or nothing


def test_broken_yaml_is_refused_with_its_line(journey_store):
    with pytest.raises(ValidationFailed) as refused:
        import_rules(journey_store, text="rules:\n  - name: x\n   owner: [Product\n", actor=ADMIN)
    ((where, why),) = refused.value.problems.items()
    assert where == "line 3" and "not valid YAML" in why


def test_conditions_typed_one_per_line_round_trip():
    text = "text contains_any invoice, VAT\narr between 50000..\ndriver_policy is_true\ntext matches ^re: .*"
    conditions = parse_condition_lines(text)
    assert conditions[1] == {"field": "arr", "op": "between", "value": ["50000", None]}
    assert condition_lines([check_condition(c) for c in conditions]) == text
    with pytest.raises(ValidationFailed) as refused:
        parse_condition_lines("source is ticket\n\ncolour is red")
    assert "unknown field" in refused.value.problems["line 3"]
