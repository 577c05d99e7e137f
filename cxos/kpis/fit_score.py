"""The OS fit score: for each of the six components, 0–100 from the data, every part explained.

Sub-scores (each 0–1, or None when its data does not exist yet — never a made-up number):
- ownership: the component's touchpoints that have an owning team;
- flow: its signals of the window (older than 7 days) that got a first owner within 7 days;
- closure: its accepted failure modes with a shipped fix;
- recurrence: signals in the last 4 weeks against the 4 before (falling is good; 0.5 is flat);
- loop closure: its fixed signals of the window whose loop was closed.
The score is the mean of the sub-scores that have data. The self-assessment is kept beside it, not in it.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, cast, func, literal_column
from sqlmodel import Session, col, select

from cxos.errors import ValidationFailed
from cxos.identity import Actor, require
from cxos.journey.map import TouchpointOption
from cxos.models import FailureMode, Fix, OwnerHistory, SelfAssessment, Signal, saved_id, table_of
from cxos.store.audit import record_event
from cxos.store.store import Store
from cxos.vocabulary import Component, EventAction, EventEntity, Status

WINDOW_DAYS = 90
ROUTED_WITHIN = timedelta(days=7)
MIN_SIGNALS_FOR_TREND = 10

# The method's questions for each component (shared/seeds: "Questions this component answers").
QUESTIONS: dict[Component, list[str]] = {
    Component.ONBOARDING: [
        "What's the critical path to first value?",
        "Where do customers get stuck or drop off?",
        "What's the difference between completing steps vs. actually understanding?",
    ],
    Component.COMMUNITY: [
        "What questions do customers have that other customers can answer?",
        "How do we surface the best community answers everywhere else?",
        "How do unanswered questions route to the teams who should see them?",
    ],
    Component.EDUCATION: [
        "What do customers need to learn to be successful?",
        "When in their journey do they need to learn it?",
        "How do we know if education is actually working?",
    ],
    Component.KNOWLEDGE: [
        "Can customers find answers without asking?",
        "Are answers accurate and current across all channels?",
        "What searches return zero results?",
    ],
    Component.LIFECYCLE: [
        "What's the next best action for this customer at this stage?",
        "How do we celebrate wins and prevent silent churn?",
        "When do we communicate vs. when is it just noise?",
    ],
    Component.INTELLIGENCE: [
        "Where do signals live and where do they die?",
        "How do we route signals to teams who can fix root causes?",
        "What tells us the operating system is healthy?",
    ],
}


@dataclass(frozen=True)
class SubScore:
    name: str
    value: float | None  # 0..1, None = no data yet
    detail: str  # the figures behind it
    advice: str  # what would raise it


@dataclass(frozen=True)
class ComponentFit:
    component: Component
    subscores: list[SubScore] = field(default_factory=list)

    @property
    def score(self) -> int | None:
        values = [s.value for s in self.subscores if s.value is not None]
        return round(100 * sum(values) / len(values)) if values else None

    @property
    def weakest(self) -> SubScore | None:
        scored = [(s.value, s) for s in self.subscores if s.value is not None]
        return min(scored, key=lambda pair: pair[0])[1] if scored else None


def fit_scores(session: Session, touchpoints: list[TouchpointOption], now: datetime) -> list[ComponentFit]:
    flow = _routed_within(session, now)
    closure = _fixed_failure_modes(session)
    recent, before = (
        _counts(session, now - timedelta(weeks=4), now),
        _counts(session, now - timedelta(weeks=8), now - timedelta(weeks=4)),
    )
    loops = _loop_states(session, now)
    out = []
    for component in Component:
        mine = [tp for tp in touchpoints if tp.component == component.value and not tp.archived]
        ids = {tp.id for tp in mine}
        out.append(
            ComponentFit(
                component,
                [
                    _ownership(mine),
                    _ratio(
                        "Flow",
                        *_sum(flow, ids),
                        "signals got an owner within 7 days",
                        "Route faster: add routing rules for its touchpoints and clear the triage queue weekly.",
                    ),
                    _ratio(
                        "Closure",
                        *_sum(closure, ids),
                        "failure modes have a shipped fix",
                        "Ship upstream fixes for its open failure modes, with owners and due dates.",
                    ),
                    _recurrence(sum(recent.get(i, 0) for i in ids), sum(before.get(i, 0) for i in ids)),
                    _ratio(
                        "Loop closure",
                        *_sum(loops, ids),
                        f"fixed signals of the last {WINDOW_DAYS} days had their loop closed",
                        "Tell the customers who reported fixed issues what changed.",
                    ),
                ],
            )
        )
    return out


def _ownership(touchpoints: list[TouchpointOption]) -> SubScore:
    owned = [tp for tp in touchpoints if tp.team_id]
    missing = ", ".join(tp.name for tp in touchpoints if not tp.team_id)
    return SubScore(
        "Ownership",
        len(owned) / len(touchpoints) if touchpoints else None,
        f"{len(owned)} of {len(touchpoints)} touchpoints have an owning team",
        f"Give an owning team to: {missing}." if missing else "Every touchpoint has an owner.",
    )


def _ratio(name: str, hits: int, total: int, what: str, advice: str) -> SubScore:
    if not total:
        return SubScore(name, None, "no data yet", advice)
    return SubScore(name, hits / total, f"{hits:,} of {total:,} {what}", advice)


def _recurrence(recent: int, before: int) -> SubScore:
    if recent + before < MIN_SIGNALS_FOR_TREND:
        return SubScore(
            "Recurrence trend",
            None,
            "no data yet (fewer than 10 signals in 8 weeks)",
            "Log friction at its touchpoints so the trend can be read.",
        )
    value = 0.5 + 0.5 * (before - recent) / max(before, recent)
    return SubScore(
        "Recurrence trend",
        value,
        f"{recent:,} signals in the last 4 weeks vs {before:,} in the 4 before",
        "Find what keeps coming back at its busiest touchpoint and fix it upstream.",
    )


def _sum(per_touchpoint: dict[int, tuple[int, int]], ids: set[int]) -> tuple[int, int]:
    pairs = [per_touchpoint[i] for i in ids if i in per_touchpoint]
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def _counts(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    query = (
        select(col(Signal.touchpoint_id), func.count())
        .where(Signal.created_at >= start, Signal.created_at < end)
        .group_by(col(Signal.touchpoint_id))
    )
    return dict(session.exec(query).all())


def _routed_within(session: Session, now: datetime) -> dict[int, tuple[int, int]]:
    """Per touchpoint: (routed within 7 days, all) over the window's signals old enough to judge.

    A signal's first route comes from the owner-history summary: the window's signals, each looked up by id.
    """
    history = table_of(OwnerHistory)
    dialect = session.get_bind().dialect.name
    routed_at = history.c.first_routed_at
    if dialect == "sqlite":
        fast = func.julianday(routed_at) - func.julianday(Signal.created_at) <= ROUTED_WITHIN.days
    else:
        fast = routed_at - Signal.created_at <= literal_column(f"interval '{ROUTED_WITHIN.days} days'")
    query = (
        select(
            col(Signal.touchpoint_id),
            func.sum(cast(and_(routed_at.is_not(None), fast), Integer)),
            func.count(),
        )
        .join(history, history.c.signal_id == col(Signal.id), isouter=True)
        .where(
            Signal.created_at >= now - timedelta(days=WINDOW_DAYS), Signal.created_at < now - ROUTED_WITHIN
        )
        .group_by(col(Signal.touchpoint_id))
    )
    rows = session.exec(query).all()
    if session.execute(select(history.c.signal_id).limit(1)).first() is None:
        return {}  # nobody has routed anything yet: flow is "no data yet", not 0
    return {tp: (int(hits or 0), int(total)) for tp, hits, total in rows}


def _fixed_failure_modes(session: Session) -> dict[int, tuple[int, int]]:
    shipped = (
        select(Fix.failure_mode_id).where(col(Fix.status).in_(["shipped", "verified"])).distinct().subquery()
    )
    query = (
        select(col(FailureMode.touchpoint_id), func.count(shipped.c.failure_mode_id), func.count())
        .join(shipped, shipped.c.failure_mode_id == col(FailureMode.id), isouter=True)
        .where(FailureMode.status == "accepted", col(FailureMode.touchpoint_id).is_not(None))
        .group_by(col(FailureMode.touchpoint_id))
    )
    return {tp: (int(hits), int(total)) for tp, hits, total in session.exec(query) if tp is not None}


def _loop_states(session: Session, now: datetime) -> dict[int, tuple[int, int]]:
    """Per touchpoint: (loop closed, fixed or loop closed) among the window's signals."""
    closed = func.sum(cast(col(Signal.status) == Status.LOOP_CLOSED, Integer))
    query = (
        select(col(Signal.touchpoint_id), closed, func.count())
        .where(
            col(Signal.status).in_([Status.FIXED, Status.LOOP_CLOSED]),
            Signal.created_at >= now - timedelta(days=WINDOW_DAYS),
        )
        .group_by(col(Signal.touchpoint_id))
    )
    return {tp: (int(hits or 0), int(total)) for tp, hits, total in session.exec(query)}


def latest_self_assessment(session: Session) -> dict[tuple[str, str], SelfAssessment]:
    """The newest rating of each (component, question); older ones stay as history."""
    latest: dict[tuple[str, str], SelfAssessment] = {}
    for row in session.exec(
        select(SelfAssessment).order_by(col(SelfAssessment.assessed_at), col(SelfAssessment.id))
    ):
        latest[(row.component, row.question)] = row
    return latest


def record_self_assessment(
    store: Store, *, component: str, ratings: dict[str, int], actor: Actor, note: str = ""
) -> int:
    """Store one rating (1–5) per answered question of a component; earlier ratings are kept as history.

    Append-only: each rating is a new row, so two people rating at once both keep theirs (the newest counts).
    """
    require(actor, "self_assess")
    questions = QUESTIONS.get(Component(component)) if component in Component._value2member_map_ else None
    if questions is None:
        raise ValidationFailed({"component": "must be one of the six components"})
    problems = {q: "is not a question of this component" for q in ratings if q not in questions}
    problems |= {
        q: "must be a whole number from 1 to 5"
        for q, r in ratings.items()
        if not isinstance(r, int) or not 1 <= r <= 5
    }
    if problems:
        raise ValidationFailed(problems)
    with store.write() as session:
        for question, rating in ratings.items():
            row = SelfAssessment(
                component=component,
                question=question,
                rating=rating,
                note=note.strip()[:2000],
                assessed_by=actor.name,
            )
            session.add(row)
            session.flush()
            record_event(
                session,
                actor=actor,
                entity=EventEntity.SELF_ASSESSMENT,
                entity_id=saved_id(row),
                action=EventAction.RATED,
                field=question,
                to_value=rating,
                note=component,
            )
    return len(ratings)
