"""Routing rules as data: the condition vocabulary, validation, and the admin services that change rules."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from cxos.errors import NotFound, ValidationFailed
from cxos.identity import Actor, require
from cxos.inputs import storable_fields
from cxos.models import RootCauseLayer, Rule, Stage, Team, Touchpoint, saved_id
from cxos.routing.patterns import compile_pattern
from cxos.store.audit import add_created, apply_changes, editing, neighbour_as_seen, record_event, touch
from cxos.store.store import Store
from cxos.vocabulary import DRIVERS, Component, EventAction, EventEntity, Severity, Source

CHOICE_OPS = ("is", "is_not", "in")
FIELD_OPS: dict[str, tuple[str, ...]] = {
    "source": CHOICE_OPS,
    "stage": CHOICE_OPS,
    "touchpoint": CHOICE_OPS,
    "component": CHOICE_OPS,
    "severity": CHOICE_OPS,
    "account": (*CHOICE_OPS, "contains_any", "matches"),
    "text": ("contains_any", "matches"),
    "arr": ("between",),
} | {driver: ("is_true", "is_false") for driver in DRIVERS}
FIELD_LABELS = {
    "source": "Source",
    "stage": "Stage",
    "touchpoint": "Touchpoint",
    "component": "Component",
    "severity": "Severity",
    "account": "Account",
    "text": "Text (title + details)",
    "arr": "ARR",
} | DRIVERS
OP_LABELS = {
    "is": "is",
    "is_not": "is not",
    "in": "is one of",
    "contains_any": "contains any of",
    "matches": "matches regex",
    "between": "between",
    "is_true": "is yes",
    "is_false": "is no",
}
MAX_CONDITIONS = 20
NAME_MAX = 120


@dataclass(frozen=True)
class RuleContext:
    """What a rule may name: teams, root-cause layers and the journey's stage and touchpoint names."""

    team_ids: dict[str, int]  # active team name → id
    all_team_ids: frozenset[int]  # including archived teams (for the warning)
    root_causes: frozenset[str]
    stages: frozenset[str]
    touchpoints: frozenset[str]


def rule_context(session: Session) -> RuleContext:
    all_teams = list(session.exec(select(Team)))
    return RuleContext(
        team_ids={t.name: saved_id(t) for t in all_teams if not t.archived},
        all_team_ids=frozenset(saved_id(t) for t in all_teams),
        root_causes=frozenset(
            session.exec(select(RootCauseLayer.name).where(RootCauseLayer.archived == False))  # noqa: E712
        ),
        stages=frozenset(session.exec(select(Stage.name))),
        touchpoints=frozenset(session.exec(select(Touchpoint.name))),
    )


def _choices(field: str, context: RuleContext | None) -> dict[str, str] | None:
    """Lower-cased accepted value → the stored spelling; None when any value is accepted."""
    if field == "source":
        return {s.value: s.value for s in Source} | {s.label.lower(): s.value for s in Source}
    if field == "severity":
        return {s.value: s.value for s in Severity}
    if field == "component":
        return {c.value: c.value for c in Component} | {c.label.lower(): c.value for c in Component}
    if field in {"stage", "touchpoint"} and context is not None:
        names = context.stages if field == "stage" else context.touchpoints
        return {n.lower(): n for n in names}
    return None


def check_condition(raw: Any, context: RuleContext | None = None) -> dict[str, Any]:
    """One condition in its stored shape {field, op, value}; raises ValueError saying what is wrong."""
    if not isinstance(raw, dict) or set(raw) - {"field", "op", "value"}:
        raise ValueError("a condition is a mapping with field, op and value")
    field, op, value = raw.get("field"), raw.get("op"), raw.get("value")
    if field not in FIELD_OPS:
        raise ValueError(f"unknown field {field!r}; fields are {', '.join(FIELD_OPS)}")
    if op not in FIELD_OPS[field]:
        raise ValueError(f"{field} takes the operators {', '.join(FIELD_OPS[field])}, not {op!r}")
    if op in {"is_true", "is_false"}:
        return {"field": field, "op": op, "value": None}
    if op == "between":
        return {"field": field, "op": op, "value": _arr_range(value)}
    if op == "matches":
        compile_pattern(value)  # refused when it does not compile or can backtrack without end
        return {"field": field, "op": op, "value": value}
    given = value if isinstance(value, list) else [value]
    values = [str(v).strip() for v in given if v is not None and str(v).strip()]
    if not values:
        raise ValueError(f"{field} {OP_LABELS[op]} needs a value")
    if op == "is" or op == "is_not":
        if len(values) != 1:
            raise ValueError(f"{op} takes one value; use 'in' for a list")
    choices = _choices(field, context)
    if choices is not None:
        unknown = [v for v in values if v.lower() not in choices]
        if unknown:
            raise ValueError(
                f"{field} has no {', '.join(map(repr, unknown))}; known: {', '.join(sorted(set(choices.values())))}"
            )
        values = [choices[v.lower()] for v in values]
    return {"field": field, "op": op, "value": values if op in {"in", "contains_any"} else values[0]}


def _arr_range(value: Any) -> list[int | None]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError("between needs [min, max]; either may be null")
    bounds: list[int | None] = []
    for bound in value:
        if bound is None or bound == "":
            bounds.append(None)
            continue
        try:
            bounds.append(int(bound))
        except (TypeError, ValueError):
            raise ValueError(f"ARR bound {bound!r} is not a whole number") from None
    low, high = bounds
    if low is None and high is None:
        raise ValueError("between needs at least a min or a max")
    if low is not None and high is not None and low > high:
        raise ValueError("the ARR min is above the max")
    return bounds


def check_rule(raw: dict[str, Any], context: RuleContext) -> dict[str, Any]:
    """A whole rule in its stored shape; raises ValidationFailed naming each wrong part."""
    problems: dict[str, str] = {}
    raw = storable_fields(raw, names={"name"})
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > NAME_MAX:
        problems["name"] = f"give the rule a name of 1 to {NAME_MAX} characters"
    if raw.get("match", "all") not in {"all", "any"}:
        problems["match"] = "match is 'all' or 'any'"
    team_id = raw.get("owner_team_id")
    if team_id not in context.team_ids.values():
        problems["owner_team_id"] = "pick a team that exists and is not archived"
    root_cause = raw.get("root_cause") or None
    if root_cause is not None and root_cause not in context.root_causes:
        problems["root_cause"] = (
            f"{root_cause!r} is not a root-cause layer; layers are {', '.join(sorted(context.root_causes))}"
        )
    conditions = raw.get("conditions") or []
    if not isinstance(conditions, list):
        problems["conditions"] = (
            "conditions are a list of {field, op, value}, not " + type(conditions).__name__
        )
        conditions = []
    elif not conditions or len(conditions) > MAX_CONDITIONS:
        problems["conditions"] = f"a rule needs 1 to {MAX_CONDITIONS} conditions"
    checked = []
    for number, condition in enumerate(conditions, start=1):
        try:
            checked.append(check_condition(condition, context))
        except ValueError as error:
            problems[f"condition {number}"] = str(error)
    if problems:
        raise ValidationFailed(problems)
    return {
        "name": name,
        "match": raw.get("match", "all"),
        "conditions": json.dumps(checked),
        "owner_team_id": team_id,
        "root_cause": root_cause,
        "enabled": bool(raw.get("enabled", True)),
    }


def list_rules(session: Session) -> list[Rule]:
    return list(session.exec(select(Rule).order_by(col(Rule.position), col(Rule.id))))


def create_rule(store: Store, *, rule_in: dict[str, Any], actor: Actor) -> Rule:
    """Add a rule at the end of the order (last to be tried).

    Append-only: a new row overwrites nobody's copy, so there is no version to check. A rule added meanwhile
    becomes a new neighbour of the last one, which `move_rule` notices.
    """
    require(actor, "manage_rules")
    with store.write() as session:
        fields = check_rule(rule_in, rule_context(session))
        position = (session.exec(select(func.max(Rule.position))).one() or 0) + 1
        rule = Rule(**fields, position=position, created_by=actor.name, updated_by=actor.name)
        add_created(
            session,
            rule,
            actor=actor,
            entity=EventEntity.RULE,
            to_value=rule.name,
            note=rule.conditions,
        )
        return rule


def update_rule(
    store: Store, *, rule_id: int, expected_version: int, changes: dict[str, Any], actor: Actor
) -> Rule:
    """Change a rule's name, match, conditions, owner, root cause or enabled flag; one event per field."""
    require(actor, "manage_rules")
    with editing(store, Rule, rule_id, expected_version, actor) as (session, rule):
        current = {
            "name": rule.name,
            "match": rule.match,
            "conditions": json.loads(rule.conditions),
            "owner_team_id": rule.owner_team_id,
            "root_cause": rule.root_cause,
            "enabled": rule.enabled,
        }
        fields = check_rule(current | changes, rule_context(session))
        apply_changes(session, rule, actor, {k: v for k, v in fields.items() if k in changes})
        return rule


def set_rule_enabled(
    store: Store, *, rule_id: int, expected_version: int, enabled: bool, actor: Actor
) -> Rule:
    return update_rule(
        store, rule_id=rule_id, expected_version=expected_version, changes={"enabled": enabled}, actor=actor
    )


def move_rule(
    store: Store,
    *,
    rule_id: int,
    expected_version: int,
    direction: int,
    neighbour: tuple[int, int],
    actor: Actor,
) -> Rule:
    """Swap a rule with its neighbour above (direction -1) or below (+1); the first matching rule wins.

    `neighbour` is (id, version) of the rule the person saw next to it: when the order changed meanwhile, the
    move is refused naming who changed it, instead of swapping with a rule they never saw there.
    """
    require(actor, "manage_rules")
    with editing(store, Rule, rule_id, expected_version, actor) as (session, rule):
        ordered = list(
            session.exec(select(Rule).order_by(col(Rule.position), col(Rule.id)).with_for_update())
        )
        index = next(i for i, r in enumerate(ordered) if r.id == rule_id)
        step = 1 if direction > 0 else -1
        other_index = index + step
        if not 0 <= other_index < len(ordered):
            raise ValidationFailed({"position": "the rule is already at that end of the list"})
        other = neighbour_as_seen(session, ordered, index, step, neighbour, what="The rule order")
        # Positions may have gaps or ties (imports, deletions): renumber to the list order, then swap.
        for number, row in enumerate(ordered, start=1):
            row.position = number
        rule.position, other.position = other.position, rule.position
        for row, old in ((rule, index + 1), (other, other_index + 1)):
            record_event(
                session,
                actor=actor,
                entity=EventEntity.RULE,
                entity_id=saved_id(row),
                action=EventAction.MOVED,
                field="position",
                from_value=old,
                to_value=row.position,
            )
            touch(row, actor)
        session.add_all(ordered)
        return rule


def delete_rule(store: Store, *, rule_id: int, expected_version: int, actor: Actor) -> None:
    """Remove a rule; its last state stays in the event history (signals keep their 'rule:<id>')."""
    require(actor, "manage_rules")
    with editing(store, Rule, rule_id, expected_version, actor) as (session, rule):
        record_event(
            session,
            actor=actor,
            entity=EventEntity.RULE,
            entity_id=saved_id(rule),
            action=EventAction.DELETED,
            from_value=rule.name,
            note=rule_as_json(rule),
        )
        session.delete(rule)


def get_rule(session: Session, rule_id: int) -> Rule:
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise NotFound(f"Rule #{rule_id} does not exist.")
    return rule


def rule_as_json(rule: Rule) -> str:
    return json.dumps(
        {
            "name": rule.name,
            "match": rule.match,
            "conditions": json.loads(rule.conditions),
            "owner_team_id": rule.owner_team_id,
            "root_cause": rule.root_cause,
            "enabled": rule.enabled,
        }
    )


def describe_condition(condition: Mapping[str, Any]) -> str:
    """'Source is one of ticket, slack': a condition as people read it."""
    value = condition.get("value")
    if condition["op"] == "between":
        low, high = condition["value"]
        value = f"{'…' if low is None else f'{low:,}'} and {'…' if high is None else f'{high:,}'}"
    elif isinstance(value, list):
        value = ", ".join(map(str, value))
    label = FIELD_LABELS.get(condition["field"], condition["field"])
    return f"{label} {OP_LABELS.get(condition['op'], condition['op'])}{'' if value is None else ' ' + str(value)}"
