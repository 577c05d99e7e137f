"""The rule engine: compile rules once, then evaluate them on plain signal views (pure, no database writes)."""

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from sqlmodel import Session, select

from cxos.models import Rule, Stage, Team, Touchpoint
from cxos.rules import check_condition
from cxos.vocabulary import DRIVERS

WORD = re.compile(r"\w+")
SIMPLE_WORD = re.compile(r"\w+")
Suggester = Callable[[Any], list[tuple[int, float]]]


@dataclass(slots=True)
class SignalView:
    """What rules look at: a signal's fields plus its journey place by name, and its text pre-split into words."""

    id: int | None
    title: str
    description: str
    source: str
    touchpoint_id: int
    severity: str
    account: str | None
    arr: int | None
    stage: str  # lower-cased names: conditions on the journey compare names, case-insensitively
    touchpoint: str
    component: str
    owner_team_id: int | None = None
    driver_effort: bool = False
    driver_emotion: bool = False
    driver_answer_ai: bool = False
    driver_answer_human: bool = False
    driver_product: bool = False
    driver_policy: bool = False
    text: str = ""
    words: frozenset[str] = field(default_factory=frozenset)
    account_key: str = ""


Places = Mapping[int, tuple[str, str, str]]  # touchpoint id → (stage, touchpoint, component)

VIEW_FIELDS = ("id", "title", "description", "source", "touchpoint_id", "severity", "account", "arr",
               "owner_team_id", *DRIVERS)


def journey_places(session: Session) -> dict[int, tuple[str, str, str]]:
    rows = session.exec(select(Touchpoint.id, Stage.name, Touchpoint.name, Touchpoint.component)
                        .join(Stage, Stage.id == Touchpoint.stage_id))
    return {tp_id: (stage.lower(), name.lower(), component) for tp_id, stage, name, component in rows}


def signal_view(signal: Any, places: Places) -> SignalView:
    """A view of an ORM Signal, a row mapping or a plain dict (whatever has the signal's fields)."""
    get = signal.get if isinstance(signal, Mapping) else lambda name, default=None: getattr(signal, name, default)
    stage, touchpoint, component = places.get(get("touchpoint_id"), ("", "", ""))
    text = f"{get('title') or ''}\n{get('description') or ''}".lower()
    return SignalView(
        id=get("id"), title=get("title") or "", description=get("description") or "", source=get("source"),
        touchpoint_id=get("touchpoint_id"), severity=get("severity") or "medium", account=get("account"),
        arr=get("arr"), stage=stage, touchpoint=touchpoint, component=component, owner_team_id=get("owner_team_id"),
        **{d: bool(get(d)) for d in DRIVERS}, text=text, words=frozenset(WORD.findall(text)),
        account_key=(get("account") or "").strip().lower(),
    )


Predicate = Callable[[SignalView], bool]
_ATTRIBUTE = {"account": "account_key", "text": "text"}
_CASE_FREE = {"stage", "touchpoint", "account"}


def _predicate(condition: dict[str, Any]) -> Predicate:
    """One condition as a fast test: regexes compiled and word sets built once, here."""
    name, op, value = condition["field"], condition["op"], condition["value"]
    get = attrgetter(_ATTRIBUTE.get(name, name))
    fold = (lambda v: v.lower()) if name in _CASE_FREE else (lambda v: v)
    if op == "is":
        wanted = fold(value)
        return lambda s: get(s) == wanted
    if op == "is_not":
        unwanted = fold(value)
        return lambda s: get(s) != unwanted
    if op == "in":
        allowed = frozenset(fold(v) for v in value)
        return lambda s: get(s) in allowed
    if op == "is_true":
        return lambda s: get(s) is True
    if op == "is_false":
        return lambda s: get(s) is not True
    if op == "between":
        low, high = value
        low, high = float("-inf") if low is None else low, float("inf") if high is None else high
        return lambda s: s.arr is not None and low <= s.arr <= high
    if op == "matches":
        search = re.compile(value, re.IGNORECASE).search
        return lambda s: search(get(s) or "") is not None
    if op == "contains_any":
        terms = [v.lower().strip() for v in value]
        words = frozenset(t for t in terms if SIMPLE_WORD.fullmatch(t))
        phrases = [t for t in terms if t not in words]
        search = _any_phrase(phrases) if phrases else None
        if name == "text" and search is None:
            return lambda s: not words.isdisjoint(s.words)
        if name == "text":
            return lambda s: not words.isdisjoint(s.words) or search(s.text) is not None
        pattern = _any_phrase(terms)
        return lambda s: pattern(get(s) or "") is not None
    raise ValueError(f"unknown operator {op!r}")


def _any_phrase(phrases: Sequence[str]) -> Callable[[str], Any]:
    """One regex for 'any of these words or phrases', whole words only, any whitespace between words."""
    alternatives = [r"\s+".join(map(re.escape, phrase.split())) for phrase in phrases]
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b").search


@dataclass(frozen=True)
class CompiledRule:
    id: int | None
    name: str
    position: int
    owner_team_id: int | None
    root_cause: str | None
    match_all: bool
    predicates: tuple[Predicate, ...]
    orphan: bool = False  # its team is archived or gone: what it catches waits in triage

    def matches(self, view: SignalView) -> bool:
        if self.match_all:
            for test in self.predicates:
                if not test(view):
                    return False
            return True
        for test in self.predicates:
            if test(view):
                return True
        return False


@dataclass(frozen=True)
class RuleSet:
    """The enabled rules in order, and a warning for each rule that cannot route as written."""

    rules: tuple[CompiledRule, ...]
    warnings: tuple[str, ...] = ()

    def first_match(self, view: SignalView) -> CompiledRule | None:
        for rule in self.rules:
            if rule.matches(view):
                return rule
        return None


def compile_rule(rule: Rule | Mapping[str, Any], *, active_team_ids: Iterable[int] | None = None) -> CompiledRule:
    get = rule.get if isinstance(rule, Mapping) else lambda name, default=None: getattr(rule, name, default)
    conditions = get("conditions") or []
    conditions = json.loads(conditions) if isinstance(conditions, str) else conditions
    team = get("owner_team_id")
    return CompiledRule(
        id=get("id"), name=get("name") or "", position=get("position") or 0, owner_team_id=team,
        root_cause=get("root_cause"), match_all=get("match", "all") != "any",
        predicates=tuple(_predicate(check_condition(c)) for c in conditions),
        orphan=active_team_ids is not None and team not in set(active_team_ids),
    )


def compile_rules(rules: Sequence[Rule], *, active_team_ids: Iterable[int]) -> RuleSet:
    """Enabled rules in position order; a rule whose team is archived or missing stays, flagged as an orphan."""
    active = set(active_team_ids)
    compiled, warnings = [], []
    for rule in sorted(rules, key=lambda r: (r.position, r.id or 0)):
        if not rule.enabled:
            continue
        try:
            compiled_rule = compile_rule(rule, active_team_ids=active)
        except (ValueError, TypeError, json.JSONDecodeError) as error:
            warnings.append(f"Rule #{rule.id} “{rule.name}” is skipped: {error}.")
            continue
        if compiled_rule.orphan:
            warnings.append(f"Rule #{rule.id} “{rule.name}” is disabled: its team (#{rule.owner_team_id}) is archived "
                            "or no longer exists. Signals it catches wait in triage; pick another team.")
        compiled.append(compiled_rule)
    return RuleSet(tuple(compiled), tuple(warnings))


def load_rule_set(session: Session) -> RuleSet:
    rules = list(session.exec(select(Rule).where(Rule.enabled == True)))  # noqa: E712
    if not rules:
        return RuleSet(())
    active = session.exec(select(Team.id).where(Team.archived == False))  # noqa: E712
    return compile_rules(rules, active_team_ids=list(active))

