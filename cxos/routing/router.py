"""Routing the triage queue in bulk, and trying a draft rule on the newest signals before it is saved.

Where one signal goes is `cxos.routing.decision.decide`; the rows are written by `cxos.signals.writes`.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.identity import Actor, require
from cxos.models import Rule, Signal
from cxos.routing.decision import ROUTER, decide_many
from cxos.routing.rule_engine import (
    VIEW_FIELDS,
    CompiledRule,
    Places,
    RuleSet,
    SignalView,
    Suggester,
    compile_rule,
    journey_places,
    load_rule_set,
    signal_view,
)
from cxos.routing.rules import check_rule, rule_context
from cxos.signals import writes as signals
from cxos.store.store import Store
from cxos.vocabulary import Status

BATCH = 2_000


@dataclass
class RouteReport:
    """What one pass over the unrouted signals did."""

    examined: int = 0
    by_rule: Counter = field(default_factory=Counter)  # rule id → signals it routed
    by_model: int = 0
    orphaned: int = 0  # caught by a rule whose team is archived: left in triage
    in_triage: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def routed(self) -> int:
        return sum(self.by_rule.values()) + self.by_model

    def as_dict(self) -> dict[str, Any]:
        return {
            "examined": self.examined,
            "routed": self.routed,
            "by_rule": {str(k): v for k, v in self.by_rule.items()},
            "by_model": self.by_model,
            "left_in_triage": self.in_triage + self.orphaned,
            "caught_by_disabled_rules": self.orphaned,
            "warnings": list(self.warnings),
        }


def unrouted_condition() -> ColumnElement[bool]:
    return and_(col(Signal.status) == Status.NEW.value, col(Signal.owner_team_id).is_(None))


def route_unrouted(
    store: Store,
    *,
    actor: Actor = ROUTER,
    suggester: Suggester | None = None,
    threshold: float | None = None,
    batch: int = BATCH,
) -> RouteReport:
    """Route every new signal without an owner, a batch per transaction; the rest stays in triage, visible."""
    require(actor, "route_signals")
    with store.read() as session:
        rules, places = load_rule_set(session), journey_places(session)
    report = RouteReport(warnings=rules.warnings)
    columns = [getattr(Signal, name) for name in VIEW_FIELDS] + [Signal.root_cause]
    last_id = 0
    while True:
        with store.write() as session:
            # Locked rows are being changed by someone right now: skip them rather than wait or overwrite.
            rows = session.exec(
                select(*columns)
                .where(unrouted_condition(), col(Signal.id) > last_id)
                .order_by(Signal.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return report
            last_id = rows[-1].id
            _route_batch(session, rows, rules, places, actor, suggester, threshold, report)


def _route_batch(
    session: Session,
    rows: Sequence[Any],
    rules: RuleSet,
    places: Places,
    actor: Actor,
    suggester: Suggester | None,
    threshold: float | None,
    report: RouteReport,
) -> None:
    routes = []
    views = [signal_view(row._mapping, places) for row in rows]
    decisions = decide_many(views, rules, suggester=suggester, threshold=threshold)
    for row, decision in zip(rows, decisions, strict=True):
        report.examined += 1
        if decision.team_id is None:
            report.orphaned += decision.outcome == "orphan"
            report.in_triage += decision.outcome == "triage"
            continue
        if decision.outcome == "rule":
            report.by_rule[decision.rule_id] += 1
        else:
            report.by_model += 1
        routes.append(signals.Route(row.id, row.root_cause, decision))
    signals.route_many(session, routes=routes, actor=actor, at=utcnow())


@dataclass(frozen=True)
class PreviewRow:
    """One recent signal a draft rule would catch."""

    signal_id: int
    title: str
    touchpoint_id: int
    current_owner_id: int | None
    new_owner_id: int | None
    owner_changes: bool
    taken_first_by: int | None  # an earlier rule that would catch it before this one


def recent_views(session: Session, *, limit: int = 500) -> list[SignalView]:
    """The newest signals as rule views (the test bench's sample)."""
    places = journey_places(session)
    columns = [getattr(Signal, name) for name in VIEW_FIELDS]
    rows = session.exec(
        select(*columns).order_by(col(Signal.created_at).desc(), col(Signal.id).desc()).limit(limit)
    ).all()
    return [signal_view(row._mapping, places) for row in rows]


def preview_rule(
    draft: CompiledRule, views: Sequence[SignalView], *, earlier: Sequence[CompiledRule] = ()
) -> list[PreviewRow]:
    """Which of `views` the draft rule catches, whose owner it would change, and which an earlier rule takes first."""
    caught = []
    for view in views:
        if view.id is None or not draft.matches(view):  # a test-bench view is a stored signal: it has an id
            continue
        first = next((rule.id for rule in earlier if rule.matches(view)), None)
        caught.append(
            PreviewRow(
                view.id,
                view.title,
                view.touchpoint_id,
                view.owner_team_id,
                draft.owner_team_id,
                view.owner_team_id != draft.owner_team_id,
                first,
            )
        )
    return caught


@dataclass(frozen=True)
class TryOut:
    """A draft rule tried on the newest signals, before it is saved."""

    sample: int
    rows: list[PreviewRow]

    @property
    def owner_changes(self) -> int:
        return sum(1 for row in self.rows if row.owner_changes and row.taken_first_by is None)

    @property
    def taken_first(self) -> int:
        return sum(1 for row in self.rows if row.taken_first_by is not None)


def try_rule(
    store: Store, *, rule_in: dict[str, Any], rule_id: int | None = None, limit: int = 500
) -> TryOut:
    """Validate a draft (new, or an edit of `rule_id`) and preview it on the last `limit` signals."""
    with store.read() as session:
        fields = check_rule(rule_in, rule_context(session))
        rules = load_rule_set(session)
        views = recent_views(session, limit=limit)
        current = session.get(Rule, rule_id) if rule_id else None
    draft = compile_rule(fields | {"id": rule_id})
    # A new rule goes to the end of the order; an edited one keeps its place.
    earlier = [
        rule
        for rule in rules.rules
        if rule.id != rule_id
        and (current is None or (rule.position, rule.id or 0) < (current.position, current.id))
    ]
    return TryOut(len(views), preview_rule(draft, views, earlier=earlier))
