"""Demo data for closed loops: monthly metrics (ticket volume, deflection, CSAT) and each shipped fix's loop notices."""

import random
from datetime import date, datetime, timedelta

from sqlmodel import col, select

from cxos.fixes.loops import draft_notices
from cxos.identity import Actor
from cxos.models import Event, Fix, LoopNotice, MetricValue, Signal, saved_id
from cxos.store.audit import record_event
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity, Status


def add_demo_loops(
    store: Store, *, start: datetime, anchor: datetime, seed: int, actor: Actor
) -> dict[str, int]:
    """Deterministic for a seed: metrics for every month of the demo, and notices drafted a day after each fix shipped.

    A notice whose signal already had its loop closed in the demo history is marked sent by whoever closed it, then.
    """
    rng = random.Random(seed * 7919 + 13)
    months = _months(start.date(), anchor.date())
    with store.write() as session:
        for i, month in enumerate(months):
            volume = round(2400 * (1 + 0.015 * i) * rng.uniform(0.95, 1.05))
            figures = {
                "ticket_volume": volume,
                "deflection": round(volume * (0.9 + 0.06 * i) * rng.uniform(0.97, 1.03)),
                "csat": round(min(95.0, 81 + 1.1 * i + rng.uniform(-0.8, 0.8)), 1),
            }
            for metric, value in figures.items():
                session.add(
                    MetricValue(
                        metric=metric, period=month, value=value, imported_at=anchor, imported_by=actor.name
                    )
                )
    notices = 0
    with store.read() as session:
        shipped = list(
            session.exec(select(Fix).where(col(Fix.shipped_at).is_not(None)).order_by(col(Fix.id)))
        )
    for fix in shipped:
        notices += len(draft_notices(store, fix_id=saved_id(fix), actor=actor))
    _backdate(store, shipped)
    return {"metric_values": 3 * len(months), "notices": notices}


def _backdate(store: Store, fixes: list[Fix]) -> None:
    """Put the notices in the demo's past: drafted the day after shipping, sent when the signal's loop closed."""
    with store.write() as session:
        for fix in fixes:
            assert fix.shipped_at is not None  # the caller passes shipped fixes only
            drafted_at = fix.shipped_at + timedelta(days=1)
            for notice in session.exec(select(LoopNotice).where(LoopNotice.fix_id == fix.id)):
                notice.created_at = notice.updated_at = drafted_at
                for event in session.exec(
                    select(Event).where(Event.entity == EventEntity.LOOP_NOTICE, Event.entity_id == notice.id)
                ):
                    event.at = drafted_at
                    session.add(event)
                closed = session.exec(
                    select(Event)
                    .where(
                        Event.entity == EventEntity.SIGNAL,
                        Event.entity_id == notice.signal_id,
                        Event.field == "status",
                        Event.to_value == Status.LOOP_CLOSED,
                    )
                    .order_by(col(Event.id))
                ).first()
                signal = session.get(Signal, notice.signal_id)
                if closed is not None and signal is not None and signal.status == Status.LOOP_CLOSED:
                    notice.status, notice.sent_by, notice.sent_at = "sent", closed.actor, closed.at
                    notice.updated_at, notice.updated_by, notice.version = (
                        closed.at,
                        closed.actor,
                        notice.version + 1,
                    )
                    record_event(
                        session,
                        at=closed.at,
                        actor=closed.actor,
                        entity=EventEntity.LOOP_NOTICE,
                        entity_id=saved_id(notice),
                        action=EventAction.SENT,
                        field="status",
                        from_value="drafted",
                        to_value="sent",
                    )
                session.add(notice)


def _months(first: date, last: date) -> list[date]:
    months, month = [], date(first.year, first.month, 1)
    while month <= last:
        months.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return months
