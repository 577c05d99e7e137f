"""Writing the append-only event history, and the edit path that checks a row's version first."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, select

from cxos.clock import utcnow
from cxos.errors import NotFound, StaleWrite
from cxos.identity import Actor
from cxos.models import Event, StoredRow, Versioned, saved_id, table_of
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity


def event_row(
    *,
    actor: Actor | str,
    entity: EventEntity,
    entity_id: int,
    action: EventAction,
    field: str | None = None,
    from_value: Any = None,
    to_value: Any = None,
    note: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One Event's columns, built here only: bulk paths insert the dicts, the others `record_event`."""
    return {
        "at": at or utcnow(),
        "actor": actor if isinstance(actor, str) else actor.name,
        "entity": str(entity),
        "entity_id": entity_id,
        "action": str(action),
        "field": field,
        "from_value": _text(from_value),
        "to_value": _text(to_value),
        "note": None if note is None else str(note),
    }


def record_event(
    session: Session,
    *,
    actor: Actor | str,
    entity: EventEntity,
    entity_id: int,
    action: EventAction,
    field: str | None = None,
    from_value: Any = None,
    to_value: Any = None,
    note: str | None = None,
    at: datetime | None = None,
) -> Event:
    """Add one Event to the caller's transaction."""
    event = Event(
        **event_row(
            actor=actor,
            entity=entity,
            entity_id=entity_id,
            action=action,
            field=field,
            from_value=from_value,
            to_value=to_value,
            note=note,
            at=at,
        )
    )
    session.add(event)
    return event


def _text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


_Row = TypeVar("_Row", bound=Versioned)
_NewRow = TypeVar("_NewRow", bound=StoredRow)


def add_created(
    session: Session,
    row: _NewRow,
    *,
    actor: Actor,
    entity: EventEntity,
    field: str | None = None,
    to_value: Any = None,
    note: str | None = None,
) -> _NewRow:
    """Store a new row and its 'created' event in the caller's transaction (flushed, so its id is known)."""
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=actor,
        entity=entity,
        entity_id=saved_id(row),
        action=EventAction.CREATED,
        field=field,
        to_value=to_value,
        note=note,
    )
    return row


@contextmanager
def editing(
    store: Store, model: type[_Row], row_id: int, expected_version: int, actor: Actor
) -> Iterator[tuple[Session, _Row]]:
    """Open a write transaction on one row that the caller read at `expected_version`.

    A stale copy is refused with who changed the row and when; the refused attempt is itself
    recorded as an event (in its own transaction, since the edit's transaction is rolled back).
    """
    table = table_of(model)
    entity = EventEntity(table.name)
    try:
        with store.write() as session:
            row = session.exec(select(model).where(table.c.id == row_id).with_for_update()).first()
            if row is None:
                raise NotFound(f"{entity.replace('_', ' ').capitalize()} #{row_id} does not exist.")
            if row.version != expected_version:
                what = last_change(session, entity, row_id)
                raise StaleWrite(
                    f"{entity.replace('_', ' ').capitalize()} #{row_id} was changed by {row.updated_by or 'someone'} "
                    f"at {row.updated_at:%Y-%m-%d %H:%M} UTC after you opened it{f' ({what})' if what else ''}. "
                    "Nothing was saved: reload to see their change, then try again."
                )
            yield session, row
    except StaleWrite as stale:
        with store.write() as session:
            record_event(
                session,
                actor=actor,
                entity=entity,
                entity_id=row_id,
                action=EventAction.REFUSED,
                note=str(stale),
            )
        raise


def last_change(session: Session, entity: EventEntity, row_id: int, *, window_s: float = 2.0) -> str:
    """What the row's newest change did, in words ("status → needs_info, owner team → 4"): its events, those
    by the same person within a moment of the newest one, so a refusal can say what the other person changed."""
    events = session.exec(
        select(Event)
        .where(Event.entity == entity, Event.entity_id == row_id, Event.action != EventAction.REFUSED)
        .order_by(Event.id.desc())  # type: ignore[union-attr]
        .limit(10)
    ).all()
    if not events:
        return ""
    newest = events[0]
    batch = [e for e in events if e.actor == newest.actor and (newest.at - e.at).total_seconds() <= window_s]
    words: list[str] = []
    for event in reversed(batch):
        if event.field and event.field.endswith("_id"):  # an id means nothing to a person: say what moved
            words.append(f"{event.field.removesuffix('_id').replace('_', ' ')} changed")
        elif event.field:
            name = event.field.replace("_", " ")
            value = " ".join((event.to_value or "").split())
            words.append(f"{name} → {value[:60]}" if value else f"{name} cleared")
        else:
            words.append(event.action)
    return ", ".join(dict.fromkeys(words))


def apply_changes(
    session: Session,
    row: Any,
    actor: Actor,
    changes: dict[str, Any],
    *,
    action: EventAction = EventAction.UPDATED,
) -> list[str]:
    """Set the fields that really change, one event per field, then bump the row's version."""
    changed = []
    for field, new in changes.items():
        old = getattr(row, field)
        if old == new:
            continue
        setattr(row, field, new)
        record_event(
            session,
            actor=actor,
            entity=EventEntity(table_of(type(row)).name),
            entity_id=saved_id(row),
            action=action,
            field=field,
            from_value=old,
            to_value=new,
        )
        changed.append(field)
    if changed:
        touch(row, actor)
        session.add(row)
    return changed


def touch(row: Any, actor: Actor) -> None:
    row.version += 1
    row.updated_at = utcnow()
    row.updated_by = actor.name
