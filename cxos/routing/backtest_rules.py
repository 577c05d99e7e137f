"""The store's enabled routing rules as backtest answers: which test rows a rule would have routed, and to whom."""

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from cxos.models import Signal, Team
from cxos.store.store import Store

if TYPE_CHECKING:
    from cxos.routing.rule_engine import CompiledRule

RuleAnswer = tuple[str, object] | None
NO_RULE_ENGINE = (
    "routing rules are not available in this version (cxos.routing.rule_engine is missing): rules = 0"
)
CHUNK = 500  # ids per IN (...) query


def _engine() -> ModuleType | None:
    """cxos.routing.rule_engine when the routing capability is installed, else None (the backtest is model-only)."""
    try:
        from cxos.routing import rule_engine
    except ImportError:
        return None
    return rule_engine


def store_rule_answers(store: Store, signal_ids: Sequence[int]) -> tuple[list[RuleAnswer] | None, list[str]]:
    """For each signal id (in order), what today's rules would do with it; plus notes for the report."""
    engine = _engine()
    if engine is None:
        return None, [NO_RULE_ENGINE]
    columns = [getattr(Signal, name) for name in engine.VIEW_FIELDS]
    with store.read() as session:
        rules, places = engine.load_rule_set(session), engine.journey_places(session)
        if not rules.rules:
            return None, ["no routing rule is enabled: every row went to the model"]
        rows: dict[int, Any] = {}
        for start in range(0, len(signal_ids), CHUNK):
            chunk = signal_ids[start : start + CHUNK]
            rows |= {row.id: row for row in session.exec(select(*columns).where(col(Signal.id).in_(chunk)))}
    answers: list[RuleAnswer] = [
        _answer(rules.first_match(engine.signal_view(rows[i]._mapping, places))) for i in signal_ids
    ]
    return answers, list(rules.warnings)


def text_rule_answers(store: Store, texts: Sequence[str]) -> tuple[list[RuleAnswer] | None, list[str]]:
    """What today's rules would do with bare texts (a file has no source, touchpoint or account, so only text
    conditions can match); a rule's owner is given by team name, to compare with the file's owner column."""
    engine = _engine()
    if engine is None:
        return None, [NO_RULE_ENGINE]
    with store.read() as session:
        rules = engine.load_rule_set(session)
        team_names = dict(session.exec(select(Team.id, Team.name)).all())
    if not rules.rules:
        return None, ["no routing rule is enabled in the store: every row went to the model"]
    answers: list[RuleAnswer] = []
    for text in texts:
        view = engine.signal_view({"title": text, "description": "", "source": "", "touchpoint_id": None}, {})
        answer = _answer(rules.first_match(view))
        answers.append(
            answer if answer is None or answer[0] != "rule" else ("rule", team_names.get(answer[1]))
        )
    notes = ["rules saw only the text column (a file row has no source, touchpoint or account)"]
    return answers, notes + list(rules.warnings)


def _answer(rule: "CompiledRule | None") -> tuple[str, int | None] | None:
    if rule is None:
        return None
    return ("orphan", None) if rule.orphan else ("rule", rule.owner_team_id)
