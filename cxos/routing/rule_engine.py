"""The rule engine: compile rules once, then evaluate them on plain signal views (pure, no database writes)."""

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from re import _constants as sre_constants  # type: ignore[attr-defined]  # typeshed omits re's private parser
from re import _parser as sre_parser  # type: ignore[attr-defined]  # (the public sre_* aliases are deprecated)
from typing import Any

from sqlmodel import Session, col, select

from cxos.models import Rule, Stage, Team, Touchpoint, id_col
from cxos.routing.patterns import pattern_search
from cxos.routing.rules import check_condition
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
    account_key: str = ""
    _words: frozenset[str] | None = field(default=None, init=False)  # split when a rule first asks for words

    @property
    def words(self) -> frozenset[str]:
        """The text's words: built only for a signal some rule tests for words (half the cost of a view)."""
        if self._words is None:
            self._words = frozenset(WORD.findall(self.text))
        return self._words


Places = Mapping[int, tuple[str, str, str]]  # touchpoint id → (stage, touchpoint, component)

VIEW_FIELDS = (
    "id",
    "title",
    "description",
    "source",
    "touchpoint_id",
    "severity",
    "account",
    "arr",
    "owner_team_id",
    *DRIVERS,
)


def journey_places(session: Session) -> dict[int, tuple[str, str, str]]:
    rows = session.exec(
        select(id_col(Touchpoint.id), col(Stage.name), col(Touchpoint.name), col(Touchpoint.component)).join(
            Stage, col(Stage.id) == col(Touchpoint.stage_id)
        )
    )
    return {tp_id: (stage.lower(), name.lower(), component) for tp_id, stage, name, component in rows}


def signal_view(signal: Any, places: Places) -> SignalView:
    """A view of an ORM Signal, a row mapping or a plain dict (whatever has the signal's fields)."""
    get: Callable[[str], Any] = (
        signal.get if isinstance(signal, Mapping) else lambda name: getattr(signal, name, None)
    )
    stage, touchpoint, component = places.get(get("touchpoint_id"), ("", "", ""))
    text = f"{get('title') or ''}\n{get('description') or ''}".lower()
    return SignalView(
        id=get("id"),
        title=get("title") or "",
        description=get("description") or "",
        source=get("source"),
        touchpoint_id=get("touchpoint_id"),
        severity=get("severity") or "medium",
        account=get("account"),
        arr=get("arr"),
        stage=stage,
        touchpoint=touchpoint,
        component=component,
        owner_team_id=get("owner_team_id"),
        **{d: bool(get(d)) for d in DRIVERS},
        text=text,
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
        search = pattern_search(value)
        needed = required_literals(value)
        if needed is None:
            return lambda s: search(get(s) or "")
        # A substring test in C first: most signals lack every word the pattern needs, and skip the regex.
        if len(needed) == 1:
            (only,) = needed
            return lambda s: only in (get(s) or "") and search(get(s) or "")
        return lambda s: any(word in (get(s) or "") for word in needed) and search(get(s) or "")
    if op == "contains_any":
        terms = [v.lower().strip() for v in value]
        words = frozenset(t for t in terms if SIMPLE_WORD.fullmatch(t))
        phrases = [t for t in terms if t not in words]
        if name == "text" and not phrases:
            return _needing_words(lambda s: not words.isdisjoint(s.words), words)
        if name == "text":
            # A phrase can only be there when all its words are: a set test before the regex.
            phrase_words = [frozenset(WORD.findall(p)) for p in phrases]
            any_phrase = _any_phrase(phrases)
            return lambda s: (
                not words.isdisjoint(s.words)
                or (any(needed <= s.words for needed in phrase_words) and any_phrase(s.text) is not None)
            )
        pattern = _any_phrase(terms)
        return lambda s: pattern(get(s) or "") is not None
    raise ValueError(f"unknown operator {op!r}")


def _needing_words(test: Predicate, words: frozenset[str]) -> Predicate:
    """A test that is true only for a signal with one of `words`: the rule set looks those up for all its
    rules at once (RuleSet.first_match) and skips the rules whose words a signal lacks."""
    test.needs_words = words  # type: ignore[attr-defined]
    return test


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Lower-case ASCII strings one of which every match of `pattern` contains; None when there is no such test."""
    try:
        return _needed(sre_parser.parse(pattern, re.IGNORECASE).data)
    except (re.error, AttributeError, TypeError, ValueError):
        return None


def _needed(items: Iterable[tuple[Any, Any]]) -> tuple[str, ...] | None:
    best: tuple[str, ...] | None = None
    run: list[str] = []
    for op, arg in [*items, (None, None)]:
        if op is sre_constants.LITERAL and arg < 128:
            run.append(chr(arg).lower())
            continue
        candidates: list[tuple[str, ...] | None] = [("".join(run),)] if len(run) >= 2 else []
        run = []
        if op is sre_constants.BRANCH:
            alternatives = [_needed(branch) for branch in arg[1]]
            every = [alternative for alternative in alternatives if alternative is not None]
            if len(every) == len(alternatives):
                candidates.append(tuple(word for alternative in every for word in alternative))
        elif op is sre_constants.SUBPATTERN:
            candidates.append(_needed(arg[-1]))
        for found in filter(
            None, candidates
        ):  # any required part will do; the longest shortest word filters best
            if best is None or min(map(len, found)) > min(map(len, best)):
                best = found
    return best


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

    @cached_property
    def needs_words(self) -> frozenset[str] | None:
        """Words one of which a signal must have for the rule to match (a condition of "all" that tests for
        words, or every condition of "any" doing so); None when no such words are known."""
        needs = [getattr(test, "needs_words", None) for test in self.predicates]
        if self.match_all:
            known = [words for words in needs if words is not None]
            return min(known, key=len) if known else None
        if all(words is not None for words in needs):
            return frozenset().union(*needs)  # type: ignore[arg-type]
        return None

    @cached_property
    def matches(self) -> Predicate:
        """The conditions folded into one test (one call per rule and signal: this is the hot loop)."""
        tests = self.predicates
        if len(tests) == 1:
            return tests[0]
        if len(tests) == 2:
            first, second = tests
            if self.match_all:
                return lambda view: first(view) and second(view)
            return lambda view: first(view) or second(view)
        if self.match_all:
            return lambda view: all(test(view) for test in tests)
        return lambda view: any(test(view) for test in tests)


@dataclass(frozen=True)
class RuleSet:
    """The enabled rules in order, and a warning for each rule that cannot route as written."""

    rules: tuple[CompiledRule, ...]
    warnings: tuple[str, ...] = ()

    @cached_property
    def _tests(self) -> tuple[tuple[Predicate, CompiledRule, frozenset[str] | None], ...]:
        return tuple((rule.matches, rule, rule.needs_words) for rule in self.rules)

    @cached_property
    def _by_word(self) -> dict[str, frozenset[int]]:
        """Word → the rules (by place) that can only match a signal with it."""
        found: dict[str, set[int]] = {}
        for place, rule in enumerate(self.rules):
            for word in rule.needs_words or ():
                found.setdefault(word, set()).add(place)
        return {word: frozenset(places) for word, places in found.items()}

    def first_match(self, view: SignalView) -> CompiledRule | None:
        """The first rule the signal matches. A rule that needs one of some words is tested only when the
        signal has one: the signal's words are looked up for all those rules at once (one set operation)."""
        by_word = self._by_word
        reached: frozenset[int] | set[int] = frozenset()
        if by_word:
            hits = by_word.keys() & view.words
            if hits:
                reached = set().union(*(by_word[word] for word in hits))
        for place, (matches, rule, needs) in enumerate(self._tests):
            if needs is not None and place not in reached:
                continue
            if matches(view):
                return rule
        return None


def compile_rule(
    rule: Rule | Mapping[str, Any], *, active_team_ids: Iterable[int] | None = None
) -> CompiledRule:
    get = rule.get if isinstance(rule, Mapping) else lambda name, default=None: getattr(rule, name, default)
    conditions = get("conditions") or []
    conditions = json.loads(conditions) if isinstance(conditions, str) else conditions
    if not isinstance(conditions, list) or not conditions:
        # A rule with no conditions would catch every signal: never a rule someone meant to write.
        raise ValueError("it has no conditions")
    team = get("owner_team_id")
    return CompiledRule(
        id=get("id"),
        name=get("name") or "",
        position=get("position") or 0,
        owner_team_id=team,
        root_cause=get("root_cause"),
        match_all=get("match", "all") != "any",
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
            warnings.append(
                f"Rule #{rule.id} “{rule.name}” is disabled: its team (#{rule.owner_team_id}) is archived "
                "or no longer exists. Signals it catches wait in triage; pick another team."
            )
        compiled.append(compiled_rule)
    return RuleSet(tuple(compiled), tuple(warnings))


def load_rule_set(session: Session) -> RuleSet:
    rules = list(session.exec(select(Rule).where(Rule.enabled == True)))  # noqa: E712
    if not rules:
        return RuleSet(())
    active = session.exec(select(id_col(Team.id)).where(Team.archived == False))  # noqa: E712
    return compile_rules(rules, active_team_ids=list(active))
