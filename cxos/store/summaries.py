"""Summary tables kept up to date in the transaction of each write, so a page reads its window, not the history.

`owner_history` holds, per signal, the facts of its owner events: its first route (who made it, to which team,
when) and whether the council kept it, and how many owner events it has. A write transaction refreshes the rows
of the signals it gave an owner event (`refresh_for_new_events`); `rebuild` recomputes the whole table from the
events (`python -m cxos rebuild-summaries`, and the migration that created it).
"""

from itertools import groupby
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from cxos.models import Event, OwnerHistory, table_of
from cxos.store.bulk import among
from cxos.vocabulary import Decider, EventEntity

OWNER_FIELD = "owner_team_id"  # every owner change writes an event on this field, whichever service made it
OWNER_HISTORY = table_of(OwnerHistory)
EVENT = table_of(Event)


def owner_event() -> ColumnElement[bool]:
    return and_(EVENT.c.entity == EventEntity.SIGNAL.value, EVENT.c.field == OWNER_FIELD)


def decider_of(note: ColumnElement[str | None]) -> ColumnElement[str]:
    """Who made a route, from its event's note: the rule's own "rule:<id>", else the kind ("model", "person")."""
    return case(
        (note.like(Decider.RULE.pattern), note),
        (note.like(Decider.MODEL.pattern), literal(Decider.MODEL.value)),
        else_=literal(Decider.PERSON.value),
    )


def _facts(signal_ids: list[int] | None, *, postgres: bool = False) -> Select:
    """One owner_history row per signal with an owner event (only `signal_ids`' when given), from the events."""
    where = [owner_event()]
    if signal_ids is not None:
        where.append(among(EVENT.c.entity_id, signal_ids, postgres=postgres))
    per_signal = (
        select(
            EVENT.c.entity_id.label("signal_id"),
            func.count().label("owner_events"),
            func.min(case((EVENT.c.to_value.is_not(None), EVENT.c.id))).label("first_id"),
        )
        .where(*where)
        .group_by(EVENT.c.entity_id)
        .subquery()
    )
    first, later = aliased(EVENT), aliased(EVENT)
    overridden = exists().where(
        later.c.entity == EventEntity.SIGNAL.value,
        later.c.entity_id == per_signal.c.signal_id,
        later.c.field == OWNER_FIELD,
        later.c.id > per_signal.c.first_id,
        or_(later.c.to_value.is_(None), later.c.to_value != first.c.to_value),
    )
    return select(
        per_signal.c.signal_id,
        per_signal.c.owner_events,
        per_signal.c.first_id,
        first.c.to_value,
        first.c.at,
        case((per_signal.c.first_id.is_not(None), decider_of(first.c.note))),
        case((per_signal.c.first_id.is_(None), None), (overridden, False), else_=True),
    ).outerjoin(first, first.c.id == per_signal.c.first_id)


_COLUMNS = [
    "signal_id",
    "owner_events",
    "first_route_id",
    "first_team",
    "first_routed_at",
    "decider",
    "kept",
]


def last_event_id(session: Session) -> int:
    """The newest event's id when a write begins: what the write adds comes after it."""
    return session.execute(select(func.max(EVENT.c.id))).scalar() or 0


SMALL_WRITE_EVENTS = 5_000  # up to this many new events, their signals' facts are worked out here
# Signals per statement of a bulk refresh: well under SQLite's (32,766) and PostgreSQL's (65,535) bound values.
REFRESH_CHUNK = 5_000


def refresh_for_new_events(session: Session, after_event_id: int) -> None:
    """Recompute the owner_history rows of the signals that got an owner event after `after_event_id`."""
    newest = last_event_id(session)
    if newest <= after_event_id:
        return
    # The write's own events, read by id (an owner-event index would walk every owner event), and the signals
    # they touched picked here. Their ids then go to the database as a list, never as a subquery: right after
    # a bulk COPY, PostgreSQL's statistics still say the event table is nearly empty and it joined such a
    # subquery by scanning every owner event once per signal (100k imported rows: 95 s of 109).
    new_events = session.execute(
        select(EVENT.c.entity_id, EVENT.c.entity, EVENT.c.field).where(EVENT.c.id > after_event_id)
    ).all()
    ids = sorted(
        {e for e, entity, field in new_events if entity == EventEntity.SIGNAL and field == OWNER_FIELD}
    )
    bulk = len(new_events) > SMALL_WRITE_EVENTS
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        session.execute(
            delete(OWNER_HISTORY).where(among(OWNER_HISTORY.c.signal_id, chunk, postgres=postgres))
        )
        if bulk:  # a bulk write: one set-based pass over these signals' owner events
            session.execute(insert(OWNER_HISTORY).from_select(_COLUMNS, _facts(chunk, postgres=postgres)))
        else:  # a person's write: the facts of its few signals worked out here, the same way _facts does in SQL
            session.execute(insert(OWNER_HISTORY), _facts_of(session, chunk))


def _facts_of(session: Session, signal_ids: list[int]) -> list[dict[str, Any]]:
    events = session.execute(
        select(EVENT.c.entity_id, EVENT.c.id, EVENT.c.to_value, EVENT.c.at, EVENT.c.note)
        .where(owner_event(), EVENT.c.entity_id.in_(signal_ids))
        .order_by(EVENT.c.entity_id, EVENT.c.id)
    ).all()
    rows = []
    for signal_id, group in groupby(events, key=lambda e: e.entity_id):
        history = list(group)
        first = next((e for e in history if e.to_value is not None), None)
        rows.append(
            {
                "signal_id": signal_id,
                "owner_events": len(history),
                "first_route_id": first.id if first else None,
                "first_team": first.to_value if first else None,
                "first_routed_at": first.at if first else None,
                "decider": _decider(first.note) if first else None,
                "kept": None
                if first is None
                else not any(e.id > first.id and e.to_value != first.to_value for e in history),
            }
        )
    return rows


def _decider(note: str | None) -> str:
    """decider_of, for one note."""
    text = note or ""
    if text.startswith(f"{Decider.RULE.value}:"):
        return text
    return Decider.MODEL.value if text.startswith(Decider.MODEL.value) else Decider.PERSON.value


def rebuild(connection: Session | Connection) -> int:
    """Recompute the whole summary from the events; the number of rows it now has."""
    connection.execute(delete(OWNER_HISTORY))
    connection.execute(insert(OWNER_HISTORY).from_select(_COLUMNS, _facts(None)))
    return connection.execute(select(func.count()).select_from(OWNER_HISTORY)).scalar() or 0


def owner_history_rows(session: Session) -> list[tuple]:
    """The summary as stored, in signal order (what the tests compare with a rebuild)."""
    return [
        tuple(row) for row in session.execute(select(OWNER_HISTORY).order_by(col(OwnerHistory.signal_id)))
    ]
