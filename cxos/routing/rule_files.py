"""Rules as text: the YAML file format (import/export, errors with line numbers) and the one-line condition syntax."""

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from cxos import config
from cxos.errors import ValidationFailed
from cxos.identity import Actor, require
from cxos.models import Rule, Team, saved_id
from cxos.routing.rules import (
    FIELD_OPS,
    RuleContext,
    check_condition,
    check_rule,
    list_rules,
    rule_as_json,
    rule_context,
)
from cxos.store.audit import add_created, record_event, stale_write, vanished_refusal, versioned_write
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity
from cxos.yaml_input import not_yaml

DEFAULT_RULES = config.DATA_DIR / "rules.yaml"
RULE_KEYS = {"name", "owner", "root_cause", "match", "enabled", "conditions"}


def export_rules(store: Store) -> str:
    """Every rule in order as YAML, teams by name so the file travels between installations."""
    with store.read() as session:
        names = {t.id: t.name for t in session.exec(select(Team))}
        rules = [
            {
                "name": r.name,
                "owner": names.get(r.owner_team_id, f"#{r.owner_team_id}"),
                **({"root_cause": r.root_cause} if r.root_cause else {}),
                "match": r.match,
                "enabled": r.enabled,
                "conditions": json.loads(r.conditions),
            }
            for r in list_rules(session)
        ]
    return yaml.safe_dump({"rules": rules}, sort_keys=False, allow_unicode=True, width=120)


def parse_rules_file(text: str, context: RuleContext) -> list[dict[str, Any]]:
    """The rules of a YAML document in their stored shape; refused with 'line N: reason' for every problem."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise not_yaml(error, text) from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ValidationFailed({"line 1": "the file must be a mapping with a 'rules:' list"})
    rule_nodes = _value_node(root, "rules").value
    problems: dict[str, str] = {}
    checked = []
    for raw, node in zip(data["rules"], rule_nodes, strict=True):
        where = f"line {node.start_mark.line + 1}"
        if not isinstance(raw, dict):
            problems[where] = "each rule is a mapping with name, owner and conditions"
            continue
        unknown = set(raw) - RULE_KEYS
        if unknown:
            problems[where] = (
                f"unknown key {', '.join(sorted(unknown))}; a rule has {', '.join(sorted(RULE_KEYS))}"
            )
            continue
        wrong = _wrong_shapes(raw, node)
        if wrong:
            problems.update((line, why) for line, why in wrong.items() if line not in problems)
            continue
        owner = raw.get("owner")
        team_id = context.team_ids.get(owner) if isinstance(owner, str) else None
        fields = {k: v for k, v in raw.items() if k != "owner"} | {"owner_team_id": team_id}
        try:
            checked.append(check_rule(fields, context))
        except ValidationFailed as refused:
            condition_nodes = _value_node(node, "conditions")
            for part, why in refused.problems.items():
                line = where
                if part.startswith("condition ") and condition_nodes is not None:
                    line = f"line {condition_nodes.value[int(part.split()[1]) - 1].start_mark.line + 1}"
                if part == "owner_team_id":
                    why = f"owner {raw.get('owner')!r} is not an active team"
                problems.setdefault(line, why)
    if problems:
        raise ValidationFailed(problems)
    return checked


# The shape of each key of a rule: (accepts the value?, what it must be). Values are checked after this.
RULE_SCHEMA: dict[str, tuple[Callable[[Any], bool], str]] = {
    "name": (lambda v: isinstance(v, str | int | float) and not isinstance(v, bool), "text"),
    "owner": (lambda v: isinstance(v, str), "a team's name"),
    "root_cause": (lambda v: v is None or isinstance(v, str), "a root-cause layer's name"),
    "match": (lambda v: v in {"all", "any"}, "all or any"),
    "enabled": (lambda v: isinstance(v, bool), "true or false"),
    "conditions": (
        lambda v: isinstance(v, list) and all(isinstance(c, dict) for c in v),
        "a list of conditions, each a mapping {field, op, value}",
    ),
}


def _wrong_shapes(raw: dict[Any, Any], node: Any) -> dict[str, str]:
    """'line N: key must be …' for each key of a rule whose value has the wrong type (a string of conditions)."""
    wrong: dict[str, str] = {}
    for key, (accepts, shape) in RULE_SCHEMA.items():
        if key in raw and not accepts(raw[key]):
            value_node = _value_node(node, key)
            line = f"line {(value_node or node).start_mark.line + 1}"
            wrong.setdefault(line, f"{key} must be {shape}, not {type(raw[key]).__name__} {raw[key]!r:.60}")
    return wrong


def _value_node(mapping: Any, key: str) -> Any:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((value for name, value in mapping.value if name.value == key), None)


def import_rules(
    store: Store,
    *,
    text: str,
    actor: Actor,
    replace: bool = False,
    rules_seen: Mapping[int, int] | None = None,
) -> int:
    """Add the file's rules after the current ones (or instead of them); all or nothing, each with its event.

    Adding is append-only. Replacing deletes the current rules, so it is checked against the rules the person
    saw, `rules_seen` = {rule id: version}: a rule changed, added or deleted since is refused (who, when).
    """
    require(actor, "manage_rules")
    if replace and rules_seen is None:
        raise ValueError("replacing the rules needs the rules seen ({rule id: version})")
    with versioned_write(store, actor) as session:
        checked = parse_rules_file(text, rule_context(session))
        existing = list_rules(session)
        if replace:
            _refuse_changed_since(session, rules_seen or {})
            for rule in existing:
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
            existing = []
        position = max((r.position for r in existing), default=0)
        for number, fields in enumerate(checked, start=1):
            rule = Rule(**fields, position=position + number, created_by=actor.name, updated_by=actor.name)
            add_created(
                session,
                rule,
                actor=actor,
                entity=EventEntity.RULE,
                to_value=rule.name,
                note="imported",
            )
        return len(checked)


def rule_versions(session: Session) -> dict[int, int]:
    """{rule id: version} of every rule now: what a caller that replaces the rules says it saw."""
    return {saved_id(rule): rule.version for rule in list_rules(session)}


def _refuse_changed_since(session: Session, seen: Mapping[int, int]) -> None:
    """Refuse a replacement of the rules when the list is not the one the person saw (StaleWrite)."""
    what = "The rule list"
    current = {
        saved_id(rule): rule
        for rule in session.exec(select(Rule).order_by(col(Rule.id)).with_for_update())  # held to the commit
    }
    for rule_id, rule in current.items():
        if rule_id not in seen:
            raise stale_write(rule, what=what, change=f"rule #{rule_id} {rule.name!r} added")
        if rule.version != seen[rule_id]:
            raise stale_write(rule, what=what, change=f"rule #{rule_id} {rule.name!r} changed")
    gone = sorted(set(seen) - set(current))
    if gone:
        raise vanished_refusal(session, Rule, gone[0], what=what)


def load_default_rules(store: Store, *, actor: Actor, path: Path | None = None) -> int:
    """The shipped rules for the default journey, into a store that has none yet."""
    with store.read() as session:
        if session.exec(select(Rule.id).limit(1)).first() is not None:
            return 0
    return import_rules(store, text=(path or DEFAULT_RULES).read_text(encoding="utf-8"), actor=actor)


# One condition per line, as an admin types it: FIELD OP VALUE.
#   text contains_any invoice, VAT, "credit note"  ·  arr between 50000..250000  ·  driver_policy is_true
_LINE = re.compile(r"^\s*(\S+)\s+(\S+)\s*(.*?)\s*$")


def parse_condition_lines(text: str) -> list[dict[str, Any]]:
    """The conditions typed one per line; raises ValidationFailed naming the line and what is wrong."""
    conditions, problems = [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = _LINE.match(line)
        if not found:
            problems[f"line {number}"] = "write FIELD OPERATOR VALUE, e.g. 'source in ticket, slack'"
            continue
        field, op, value = found.groups()
        if field not in FIELD_OPS:
            problems[f"line {number}"] = f"unknown field {field!r}; fields are {', '.join(FIELD_OPS)}"
            continue
        condition = {"field": field, "op": op, "value": _typed_value(op, value)}
        try:
            check_condition(condition)  # operator, value shape, regex; journey names are checked on save
        except ValueError as error:
            problems[f"line {number}"] = str(error)
            continue
        conditions.append(condition)
    if problems:
        raise ValidationFailed(problems)
    return conditions


def _typed_value(op: str, value: str) -> Any:
    if op in {"is_true", "is_false"}:
        return None
    if op == "between":
        low, _, high = value.partition("..")
        return [
            low.replace(",", "").replace("_", "").strip() or None,
            high.replace(",", "").replace("_", "").strip() or None,
        ]
    if op in {"in", "contains_any"}:
        return [part.strip().strip('"') for part in value.split(",") if part.strip()]
    return value


def condition_lines(conditions: list[dict[str, Any]]) -> str:
    """Stored conditions back as the lines an admin edits (parse_condition_lines reads them back)."""
    lines = []
    for c in conditions:
        value = c.get("value")
        if c["op"] == "between":
            low, high = c["value"]
            value = f"{'' if low is None else low}..{'' if high is None else high}"
        elif isinstance(value, list):
            value = ", ".join(value)
        lines.append(f"{c['field']} {c['op']}{'' if value is None else ' ' + str(value)}")
    return "\n".join(lines)
