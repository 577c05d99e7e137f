"""Importing outside figures (ticket volume, deflection, CSAT) per month: every row checked, all or nothing."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.errors import ValidationFailed
from cxos.identity import Actor, require
from cxos.models import MetricValue, saved_id
from cxos.store.audit import record_event
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity

METRICS = {
    "ticket_volume": "live support contacts (tickets, chats, calls) in the month",
    "active_accounts": "accounts active in the month",
    "deflection": "contacts resolved by self-service in the month (help centre, community, AI agent)",
    "csat": "customer satisfaction, percent satisfied (0–100)",
}
COLUMNS = ("period", "metric", "value")
MAX_ROWS = 10_000


@dataclass(frozen=True)
class MetricRow:
    period: date
    metric: str
    value: float


def parse_period(text: str) -> date:
    """'2026-03' or '2026-03-01' → the first of that month; anything else is refused."""
    raw = (text or "").strip()
    parts = raw.split("-")
    if len(parts) == 3 and parts[2] not in ("01", "1"):
        raise ValueError(f"period '{raw}' is not a month: write YYYY-MM (or the 1st, YYYY-MM-01)")
    if len(parts) not in (2, 3) or not (parts[0].isdigit() and parts[1].isdigit() and len(parts[0]) == 4):
        raise ValueError(f"period '{raw}' is not a month: write YYYY-MM")
    try:
        return date(int(parts[0]), int(parts[1]), 1)
    except ValueError:
        raise ValueError(f"period '{raw}' is not a month: write YYYY-MM") from None


def parse_metrics_csv(text: str) -> tuple[list[MetricRow], dict[str, str]]:
    """The rows and, per line number, what is wrong with each bad one."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], {"header": f"missing column {', '.join(missing)}; the columns are period, metric, value"}
    rows: list[MetricRow] = []
    problems: dict[str, str] = {}
    seen: dict[tuple[str, date | None], int] = {}
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            problems["file"] = f"more than {MAX_ROWS:,} rows; split the file"
            break
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(record.values()):
            continue
        why = []
        metric = record.get("metric", "").lower()
        if metric not in METRICS:
            why.append(f"unknown metric '{record.get('metric', '')}' (known: {', '.join(METRICS)})")
        try:
            period = parse_period(record.get("period", ""))
        except ValueError as error:
            why.append(str(error))
            period = None
        try:
            value = float(record.get("value", "").replace(",", ""))
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
        except ValueError:
            why.append(f"value '{record.get('value', '')}' is not a number")
            value = None
        if metric == "csat" and value is not None and not 0 <= value <= 100:
            why.append("csat is a percentage between 0 and 100")
        if not why and (metric, period) in seen:
            why.append(f"{metric} for {period:%Y-%m} is also on line {seen[(metric, period)]}")
        if why:
            problems[f"line {line}"] = "; ".join(why)
            continue
        assert period is not None and value is not None  # had either failed to parse, `why` would say so
        seen[(metric, period)] = line
        rows.append(MetricRow(period, metric, value))
    if not rows and not problems:
        problems["file"] = "no rows: the file has only a header"
    return rows, problems


def import_metrics(store: Store, *, text: str, actor: Actor) -> int:
    """Store every row (replacing the same metric and month) or, if any row is bad, nothing at all.

    Not version-checked on purpose: the file is the outside system's figure, and the newest import of a month
    is the truth; nothing a person typed is overwritten, and each replaced value stays in its event.
    """
    require(actor, "import_metrics")
    rows, problems = parse_metrics_csv(text)
    if problems:
        raise ValidationFailed(problems)
    with store.write() as session:
        existing = {(m.metric, m.period): m for m in session.exec(select(MetricValue))}
        for row in rows:
            old = existing.get((row.metric, row.period))
            if old is not None and old.value == row.value:
                continue
            if old is None:
                old = MetricValue(
                    metric=row.metric, period=row.period, value=row.value, imported_by=actor.name
                )
                previous = None
            else:
                previous, old.value, old.imported_at, old.imported_by = (
                    old.value,
                    row.value,
                    utcnow(),
                    actor.name,
                )
            session.add(old)
            session.flush()
            record_event(
                session,
                actor=actor,
                entity=EventEntity.METRIC_VALUE,
                entity_id=saved_id(old),
                action=EventAction.IMPORTED,
                field=f"{row.metric} {row.period:%Y-%m}",
                from_value=previous,
                to_value=row.value,
            )
    return len(rows)


def metric_series(
    session: Session, metric: str, *, start: date | None = None, end: date | None = None
) -> list[tuple[date, float]]:
    """One metric's months, oldest first, optionally within [start, end]."""
    query = select(col(MetricValue.period), col(MetricValue.value)).where(MetricValue.metric == metric)
    if start is not None:
        query = query.where(MetricValue.period >= start)
    if end is not None:
        query = query.where(MetricValue.period <= end)
    return [(period, value) for period, value in session.exec(query.order_by(col(MetricValue.period)))]
