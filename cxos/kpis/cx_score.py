"""The CX score of a signal, 1 (worst) to 5 (best): a plain formula over its drivers, severity and outcome.

    score = 5 − Σ driver weights − severity weight + outcome adjustment, kept within 1..5.

Every weight is in the three tables below, and only here: change one and the signal page, the KPI page and
the averages all follow (the averages use the same numbers in SQL, see `score_expression`). Why these:
effort and strong emotion weigh most (the strongest signs a customer will leave: Dixon, Freeman & Toman,
"Stop Trying to Delight Your Customers", HBR 2010); a poor answer next; product and policy feedback say what
is wrong more than how it felt. Severity is how bad the friction itself is. The outcome is what became of it:
a customer told what changed recovers some of the damage, a refusal adds to it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, case, cast, func, literal
from sqlmodel import Session, col, select

from cxos.models import FailureMode, Signal, Stage, Team, Touchpoint
from cxos.vocabulary import DRIVERS, Severity, Status

BEST, WORST = 5.0, 1.0

DRIVER_WEIGHTS: dict[str, float] = {
    "driver_effort": 1.0,
    "driver_emotion": 1.0,
    "driver_answer_ai": 0.75,
    "driver_answer_human": 0.75,
    "driver_product": 0.5,
    "driver_policy": 0.5,
}
SEVERITY_WEIGHTS: dict[str, float] = {
    Severity.LOW: 0.0,
    Severity.MEDIUM: 0.25,
    Severity.HIGH: 0.75,
    Severity.CRITICAL: 1.25,
}
OUTCOME_ADJUSTMENTS: dict[str, float] = {  # statuses not listed: no adjustment yet
    Status.LOOP_CLOSED: 0.75,
    Status.FIXED: 0.5,
    Status.WONT_FIX: -0.5,
}
assert set(DRIVER_WEIGHTS) == set(DRIVERS), "one weight per driver"

GROUPINGS = ("touchpoint", "stage", "team", "failure_mode")


@dataclass(frozen=True)
class CxScore:
    value: float  # 1.0 .. 5.0
    reasons: list[str]  # each term that moved it, e.g. "Customer effort −1.0"


def cx_score(signal: Any) -> CxScore:
    """The score of one signal (a Signal, or a mapping of its fields) and the terms that made it."""
    get = signal.get if isinstance(signal, Mapping) else lambda name: getattr(signal, name, None)
    raw, reasons = BEST, []
    for driver, weight in DRIVER_WEIGHTS.items():
        if get(driver):
            raw -= weight
            reasons.append(f"{DRIVERS[driver]} −{weight:g}")
    severity = str(get("severity") or Severity.MEDIUM)
    if weight := SEVERITY_WEIGHTS.get(severity, 0.0):
        raw -= weight
        reasons.append(f"{Severity(severity).label} severity −{weight:g}")
    status = str(get("status") or Status.NEW)
    if adjustment := OUTCOME_ADJUSTMENTS.get(status, 0.0):
        raw += adjustment
        sign = "+" if adjustment > 0 else "−"
        reasons.append(f"{Status(status).label} {sign}{abs(adjustment):g}")
    value = round(min(BEST, max(WORST, raw)), 2)  # the weights are quarters: two decimals keep every step
    if value != round(raw, 2):
        reasons.append(f"kept within {WORST:g}–{BEST:g}")
    return CxScore(value, reasons or ["no driver, low severity, no outcome yet"])


def score_expression() -> ColumnElement[float]:
    """The same formula in SQL (SQLite and PostgreSQL), so averages over a million signals stay in the database."""
    raw: ColumnElement[float] = literal(BEST, Float)
    for driver, weight in DRIVER_WEIGHTS.items():
        raw = raw - case((col(getattr(Signal, driver)).is_(True), weight), else_=0.0)
    raw = raw - case(
        *((col(Signal.severity) == str(s), w) for s, w in SEVERITY_WEIGHTS.items() if w), else_=0.0
    )
    raw = raw + case(*((col(Signal.status) == str(s), a) for s, a in OUTCOME_ADJUSTMENTS.items()), else_=0.0)
    return cast(case((raw < WORST, WORST), (raw > BEST, BEST), else_=raw), Float)


@dataclass(frozen=True)
class ScoreAverage:
    name: str
    average: float
    signals: int


def average_scores(
    session: Session, *, by: str, start: Any = None, end: Any = None, team_ids: tuple[int, ...] = ()
) -> list[ScoreAverage]:
    """The mean CX score per touchpoint, stage, team or failure mode (`by`), worst first; signals without
    a team or a failure mode are left out of those groupings. Optional: created in [start, end), owned by one
    of `team_ids`."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}")
    score = func.avg(score_expression())
    stage_of = (col(Touchpoint.id) == Signal.touchpoint_id, col(Stage.id) == Touchpoint.stage_id)
    key: Any
    if by == "touchpoint":
        key, name = Touchpoint.id, Stage.name + " › " + Touchpoint.name
        query = select(name, score, func.count()).join(Touchpoint, stage_of[0]).join(Stage, stage_of[1])
    elif by == "stage":
        key, name = Stage.id, Stage.name
        query = select(name, score, func.count()).join(Touchpoint, stage_of[0]).join(Stage, stage_of[1])
    elif by == "team":
        key, name = Team.id, Team.name
        query = select(name, score, func.count()).join(Team, col(Team.id) == Signal.owner_team_id)
    else:
        key, name = FailureMode.id, FailureMode.name
        query = select(name, score, func.count()).join(
            FailureMode, col(FailureMode.id) == Signal.failure_mode_id
        )
    if start is not None:
        query = query.where(col(Signal.created_at) >= start)
    if end is not None:
        query = query.where(col(Signal.created_at) < end)
    if team_ids:
        query = query.where(col(Signal.owner_team_id).in_(team_ids))
    rows = session.exec(query.group_by(key, name)).all()  # two failure modes may share a name
    averages = [ScoreAverage(str(n), round(float(a), 2), int(c)) for n, a, c in rows]
    return sorted(averages, key=lambda row: (row.average, -row.signals, row.name))


def formula_text() -> str:
    """The formula in words, from the tables above, for the pages that show a score."""
    drivers = ", ".join(f"{DRIVERS[d]} {w:g}" for d, w in DRIVER_WEIGHTS.items())
    severities = ", ".join(f"{Severity(s).label.lower()} {w:g}" for s, w in SEVERITY_WEIGHTS.items())
    outcomes = ", ".join(f"{Status(s).label.lower()} {a:+g}" for s, a in OUTCOME_ADJUSTMENTS.items())
    return (
        f"{BEST:g} minus each driver's weight ({drivers}), minus the severity's ({severities}), plus the "
        f"outcome ({outcomes}), kept within {WORST:g}–{BEST:g}"
    )
